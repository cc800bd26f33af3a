"""Full-text tokens split at punctuation: `e-mail`, `2.14`, URLs, host names and addresses
were single tokens to PostgreSQL's `english` parser, so a query for "mail" or a host's
name never matched them, while the query side (app.text.terms) splits at punctuation.
The chunk tsvector is now built from the content with every run of non-word characters
made a space: full-text MRR@10 on the body family rose from 0.911 to 0.936, and on the
union of the bench's families from 0.650 to 0.678 (docs/search.md, issue 11).

The generated column is replaced (same name and type, so an older release reads it as
before), its GIN index rebuilt and the per-user term statistics recounted from it. This
rewrites the chunks table and rebuilds its indexes, HNSW included: 21 s for 100k chunks
on a 2-core machine with the memory setting below (32 s without), minutes at a million
(docs/ops.md).
"""

from importlib import import_module

# Can the release before this one run on the migrated schema? (same column name and type)
PREVIOUS_RELEASE_RUNS = True

TOKENS = "regexp_replace(content, '[^[:alnum:]_]+', ' ', 'g')"


def up(db, ctx):
    stats = import_module("app.migrations.0002_lexeme_stats")
    db.execute_sql(f"""
SET LOCAL maintenance_work_mem = '512MB';  -- 64 MB held the HNSW graph of 28k chunks
DROP INDEX IF EXISTS chunks_tsv_gin;
ALTER TABLE chunks DROP COLUMN tsv;
ALTER TABLE chunks ADD COLUMN tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('english', {TOKENS})) STORED;
CREATE INDEX chunks_tsv_gin ON chunks USING gin (tsv);
DELETE FROM lexeme_stats;
DELETE FROM user_chunk_stats;
""")
    db.execute_sql(stats.APPLY.format(delta="(SELECT user_id, tsv, 1 AS sign FROM chunks) d"))
