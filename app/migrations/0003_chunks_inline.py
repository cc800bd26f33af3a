"""Chunk rows stay whole in the heap, not split into TOAST.

A chunk row (text, tsvector, 1.5 kB embedding) is about 3 kB. Above 2 kB PostgreSQL moves
its largest values out to the TOAST table, the embedding first. Search reads the embedding
and tsvector of every candidate, so each one cost two extra index lookups and reads:
about a third of the hybrid statement's time at 100k chunks. With the target at its
maximum, rows under ~8 kB are stored inline and uncompressed. The heap is larger, and
the table plus TOAST about 20 % larger in all.

This applies to rows written from now on. Existing rows move inline when rewritten, e.g.
by `VACUUM FULL chunks` in a maintenance window (it locks the table and rebuilds its
indexes; see docs/ops.md).
"""

# Can the release before this one run on the migrated schema? (a storage setting only)
PREVIOUS_RELEASE_RUNS = True


def up(db, ctx):
    db.execute_sql("ALTER TABLE chunks SET (toast_tuple_target = 8160)")
