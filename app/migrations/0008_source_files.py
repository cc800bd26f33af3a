"""Attachment originals in the database: one row per stored source, its bytes, size and
SHA-256. The web app and the workers may run on separate hosts with no shared disk, so
a file a worker wrote under STORAGE_DIR could not be downloaded from a web host, nor
removed with its article; PostgreSQL is the one store every host shares, and a dump (or
a replica) now holds the originals with their articles.

`data` is stored out of line and uncompressed (STORAGE EXTERNAL): a download reads it a
slice at a time, and a slice of an uncompressed value costs only the TOAST chunks it
covers, where a compressed one is inflated from its start on every read. Most originals
are PDFs, whose streams are compressed already.

The app role's row rights on the new table come from the owner's default privileges
(roles/postgresql, privileges.sql.j2). Only additions: an older release neither reads
nor writes the table (it writes files, which this release still serves), and deleting a
source removes its row by the foreign key.
"""

# Can the release before this one run on the migrated schema? (only additions)
PREVIOUS_RELEASE_RUNS = True

SQL = """
CREATE TABLE source_files (
  source_id bigint PRIMARY KEY REFERENCES sources ON DELETE CASCADE,
  size integer NOT NULL CHECK (size = octet_length(data)),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  data bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE source_files ALTER COLUMN data SET STORAGE EXTERNAL;
"""


def up(db, ctx):
    db.execute_sql(SQL)
