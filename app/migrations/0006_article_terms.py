"""Whole-email full-text: a tsvector per article (tokens split at punctuation, as 0005
does for chunks) and per-user article term statistics for BM25's idf. No index on it:
search finds candidate emails through their chunks' index and reads this by id.

Ranking whole emails by BM25 matched SQLite FTS5 on the retrieval bench's families where
chunk-level BM25 trailed it (docs/search.md, issue 11). The text is cut at 300,000
characters, past what the chunks cover (MAX_CHUNKS_PER_ARTICLE × CHUNK_TOKENS), so no
email can reach tsvector's 1 MB limit and fail its insert. The statistics are kept by
statement triggers as 0002 keeps the chunks' (same ordering against deadlocks).
Only additions: an older release never reads them, and its writes keep them right.
"""

from importlib import import_module

# Can the release before this one run on the migrated schema? (only additions)
PREVIOUS_RELEASE_RUNS = True

TOKENS = "regexp_replace(left(content_text, 300000), '[^[:alnum:]_]+', ' ', 'g')"

TABLES = """
ALTER TABLE articles ADD COLUMN tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('english', {tokens})) STORED;
CREATE TABLE article_lexeme_stats (
  user_id bigint NOT NULL,
  lexeme text NOT NULL,
  df integer NOT NULL,
  PRIMARY KEY (user_id, lexeme)
);
CREATE TABLE user_article_stats (
  user_id bigint PRIMARY KEY,
  articles bigint NOT NULL,
  lexemes bigint NOT NULL  -- sum of length(tsv), for an average article length
);
"""

# As 0002's, for articles: the signed rows of `delta` (user_id, tsv, sign), a FROM item.
APPLY = """
  INSERT INTO article_lexeme_stats AS s (user_id, lexeme, df)
  SELECT d.user_id, u.lexeme, sum(d.sign) FROM {delta}, unnest(d.tsv) u
  GROUP BY 1, 2 HAVING sum(d.sign) <> 0 ORDER BY 1, 2
  ON CONFLICT (user_id, lexeme) DO UPDATE SET df = s.df + EXCLUDED.df;
  INSERT INTO user_article_stats AS s (user_id, articles, lexemes)
  SELECT d.user_id, sum(d.sign), sum(d.sign * length(d.tsv)) FROM {delta}
  GROUP BY 1 ORDER BY 1
  ON CONFLICT (user_id) DO UPDATE
    SET articles = s.articles + EXCLUDED.articles, lexemes = s.lexemes + EXCLUDED.lexemes;
"""

FUNCTION = """
CREATE FUNCTION article_stats_{op}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{body}
  RETURN NULL;
END $$;
CREATE TRIGGER articles_stats_{op} AFTER {OP} ON articles
  REFERENCING {transitions} FOR EACH STATEMENT EXECUTE FUNCTION article_stats_{op}();
"""

TRUNCATE = """
CREATE FUNCTION article_stats_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM article_lexeme_stats;
  DELETE FROM user_article_stats;
  RETURN NULL;
END $$;
CREATE TRIGGER articles_stats_truncate AFTER TRUNCATE ON articles
  FOR EACH STATEMENT EXECUTE FUNCTION article_stats_truncate();
"""


def up(db, ctx):
    chunks = import_module("app.migrations.0002_lexeme_stats")  # its deltas fit any table
    db.execute_sql(TABLES.format(tokens=TOKENS))
    for op, delta in chunks.DELTAS.items():
        db.execute_sql(FUNCTION.format(op=op, OP=op.upper(), transitions=chunks.TRANSITIONS[op],
                                       body=APPLY.format(delta=delta)))
    db.execute_sql(TRUNCATE)
    db.execute_sql(APPLY.format(delta="(SELECT user_id, tsv, 1 AS sign FROM articles) d"))
