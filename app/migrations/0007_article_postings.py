"""Whole-email postings: one row per (article, lexeme) of `articles.tsv` (migration 0006)
with the lexeme's tf and the email's length, so that search finds and scores emails by
BM25 from an index instead of decompressing each candidate's tsvector (issue 11).

The length `dl` counts positions (the sum of tf), not distinct lexemes: offline and on
the retrieval bench that ranked 0.01 MRR@10 better, as BM25 defines it. Its per-user sum
is a new column of `user_article_stats`, for the average.

`impact` only orders a lexeme's postings (index `article_postings_impact`, read best
first): BM25's term weight at k1 1.2, b 0.75 and the user's average email length when
the row was written. For a fixed b that order does not depend on k1; a drifting average
only swaps postings of similar weight. Scores are recomputed from tf and dl with the
configured k1, b and the current average.

Kept exact by statement triggers on `articles`, named to fire after 0006's statistics
triggers (so a new email's average includes it); a deleted email's rows go by the
foreign key. Only additions: an older release's writes keep it right too.
"""

# Can the release before this one run on the migrated schema? (only additions)
PREVIOUS_RELEASE_RUNS = True

TABLE = """
ALTER TABLE user_article_stats ADD COLUMN positions bigint NOT NULL DEFAULT 0;
CREATE TABLE article_postings (
  article_id bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
  lexeme text NOT NULL,
  user_id bigint NOT NULL,
  tf integer NOT NULL,  -- positions of the lexeme in the email
  dl integer NOT NULL,  -- positions of every lexeme in the email
  impact real NOT NULL,
  PRIMARY KEY (article_id, lexeme)
);
CREATE INDEX article_postings_impact
  ON article_postings (user_id, lexeme, impact DESC) INCLUDE (article_id, tf, dl);
-- Search reads the index alone only for rows marked all-visible; new emails' postings
-- come from the heap until a vacuum (3.5x the bare HNSW query instead of 2.3x at 100k
-- chunks when none were). Vacuum after inserts of a hundredth of the table, not a fifth.
ALTER TABLE article_postings SET (autovacuum_vacuum_insert_scale_factor = 0.01);
"""

# Each email of `rows` (a FROM item `r` of articles' id, user_id, tsv) as (id, user_id,
# lexeme, tf, dl).
TERMS = """(SELECT r.id, r.user_id, u.lexeme, u.tf, sum(u.tf) OVER (PARTITION BY r.id) AS dl
  FROM {rows}, LATERAL (SELECT lexeme, coalesce(cardinality(positions), 1) AS tf
                        FROM unnest(r.tsv)) u) t"""

# Adds {sign} x the lengths of `terms` to their users' totals (in key order, as 0006).
LENGTHS = """
  UPDATE user_article_stats s SET positions = s.positions + d.n
  FROM (SELECT user_id, {sign} * sum(tf) AS n FROM {terms} GROUP BY 1 ORDER BY 1) d
  WHERE s.user_id = d.user_id;
"""

# The postings of `terms`, after LENGTHS: the impact's average includes these emails.
POSTINGS = """
  INSERT INTO article_postings (article_id, lexeme, user_id, tf, dl, impact)
  SELECT t.id, t.lexeme, t.user_id, t.tf, t.dl, t.tf * 2.2 / (t.tf + 1.2 * (0.25 + 0.75 * t.dl
           / greatest(coalesce(s.positions::float8 / nullif(s.articles, 0), t.dl), 1)))
  FROM {terms} LEFT JOIN user_article_stats s USING (user_id)
  ORDER BY 1, 2;
"""

CHANGED = """(SELECT {side}.id, {side}.user_id, {side}.tsv
              FROM old_rows o JOIN new_rows n USING (id)
              WHERE o.tsv IS DISTINCT FROM n.tsv OR o.user_id <> n.user_id) r"""

TRIGGER = """
CREATE FUNCTION article_postings_{op}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{body}
  RETURN NULL;
END $$;
CREATE TRIGGER articles_tf_{op} AFTER {OP} ON articles
  REFERENCING {transitions} FOR EACH STATEMENT EXECUTE FUNCTION article_postings_{op}();
"""


def bodies():
    """{op: (transition tables, trigger body)}. An update recounts only the emails whose
    text or owner changed (a new summary or category leaves their rows alone)."""
    old, new = (TERMS.format(rows=CHANGED.format(side=side)) for side in "on")
    return {
        "insert": ("NEW TABLE AS new_rows", _add(TERMS.format(rows="new_rows r"))),
        # the postings go by the foreign key
        "delete": ("OLD TABLE AS old_rows",
                   LENGTHS.format(terms=TERMS.format(rows="old_rows r"), sign=-1)),
        "update": ("OLD TABLE AS old_rows NEW TABLE AS new_rows",
                   "  DELETE FROM article_postings p USING " + CHANGED.format(side="o")
                   + " WHERE p.article_id = r.id;" + LENGTHS.format(terms=old, sign=-1)
                   + _add(new)),
    }


def _add(terms):
    return LENGTHS.format(terms=terms, sign=1) + POSTINGS.format(terms=terms)


def up(db, ctx):
    db.execute_sql(TABLE)
    for op, (transitions, body) in bodies().items():
        db.execute_sql(TRIGGER.format(op=op, OP=op.upper(), transitions=transitions, body=body))
    db.execute_sql(_add(TERMS.format(rows="articles r")))  # the backfill
