"""Per-user term statistics for IDF: document frequency of each lexeme, and chunk counts.

Kept exact by statement-level triggers on `chunks` with transition tables, so inserting an
article's 200 chunks is one aggregate, not 200 row triggers. Changes are applied as upserts
in key order, so concurrent ingests of one user queue on the same rows in the same order
instead of deadlocking. Rows that fall to df = 0 stay: deleting them would take locks out
of that order, and a zero row costs nothing at query time.
Only adds: an older release's inserts and deletes keep the statistics right too.
"""

# Can the release before this one run on the migrated schema? (only additions)
PREVIOUS_RELEASE_RUNS = True

TABLES = """
CREATE TABLE lexeme_stats (
  user_id bigint NOT NULL,
  lexeme text NOT NULL,
  df integer NOT NULL,
  PRIMARY KEY (user_id, lexeme)
);
CREATE TABLE user_chunk_stats (
  user_id bigint PRIMARY KEY,
  chunks bigint NOT NULL,
  lexemes bigint NOT NULL  -- sum of length(tsv), for an average chunk length
);
"""

# Applies the signed rows of `delta` (user_id, tsv, sign); {delta} is a FROM item.
APPLY = """
  INSERT INTO lexeme_stats AS s (user_id, lexeme, df)
  SELECT d.user_id, u.lexeme, sum(d.sign) FROM {delta}, unnest(d.tsv) u
  GROUP BY 1, 2 HAVING sum(d.sign) <> 0 ORDER BY 1, 2
  ON CONFLICT (user_id, lexeme) DO UPDATE SET df = s.df + EXCLUDED.df;
  INSERT INTO user_chunk_stats AS s (user_id, chunks, lexemes)
  SELECT d.user_id, sum(d.sign), sum(d.sign * length(d.tsv)) FROM {delta}
  GROUP BY 1 ORDER BY 1
  ON CONFLICT (user_id) DO UPDATE
    SET chunks = s.chunks + EXCLUDED.chunks, lexemes = s.lexemes + EXCLUDED.lexemes;
"""

DELTAS = {
    "insert": "(SELECT user_id, tsv, 1 AS sign FROM new_rows) d",
    "delete": "(SELECT user_id, tsv, -1 AS sign FROM old_rows) d",
    # Only rows whose text or owner changed (an embedding update leaves the counts alone).
    "update": """(SELECT o.user_id, o.tsv, -1 AS sign FROM old_rows o JOIN new_rows n USING (id)
                  WHERE o.tsv IS DISTINCT FROM n.tsv OR o.user_id <> n.user_id
                  UNION ALL
                  SELECT n.user_id, n.tsv, 1 FROM old_rows o JOIN new_rows n USING (id)
                  WHERE o.tsv IS DISTINCT FROM n.tsv OR o.user_id <> n.user_id) d""",
}

TRANSITIONS = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
               "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}

FUNCTION = """
CREATE FUNCTION chunk_stats_{op}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{body}
  RETURN NULL;
END $$;
CREATE TRIGGER chunks_stats_{op} AFTER {OP} ON chunks
  REFERENCING {transitions} FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_{op}();
"""

# TRUNCATE skips row deletes (and their triggers): it empties every user's chunks at once.
TRUNCATE = """
CREATE FUNCTION chunk_stats_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM lexeme_stats;
  DELETE FROM user_chunk_stats;
  RETURN NULL;
END $$;
CREATE TRIGGER chunks_stats_truncate AFTER TRUNCATE ON chunks
  FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_truncate();
"""


def up(db, ctx):
    db.execute_sql(TABLES)
    for op, delta in DELTAS.items():
        db.execute_sql(FUNCTION.format(op=op, OP=op.upper(), transitions=TRANSITIONS[op],
                                       body=APPLY.format(delta=delta)))
    db.execute_sql(TRUNCATE)
    # Backfill existing chunks; the triggers keep it exact from here on.
    db.execute_sql(APPLY.format(delta="(SELECT user_id, tsv, 1 AS sign FROM chunks) d"))
