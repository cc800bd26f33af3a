"""The opening CTEs both search statements share: `corpus` (documents and their average
length), `terms` (each query lexeme with its df and BM25 idf) and `rare` (the lexemes by
df, with their running total), over chunks (sql.py) or whole emails (article_sql.py)."""


def corpus_terms(docs, user_stats, lexeme_stats, length="lexemes"):
    """The CTEs for documents counted in `user_stats`.`docs`, their lengths summed in
    `user_stats`.`length`, df from `lexeme_stats`."""
    return f"""
WITH corpus AS (
  SELECT coalesce(max({docs}), 0) AS n,
         coalesce(max({length})::float8 / nullif(max({docs}), 0), 1) AS avgdl
  FROM {user_stats} WHERE user_id = %(user_id)s::bigint
), terms AS (
  -- df by one index lookup per query lexeme: the generic plan cannot see how few lexemes
  -- a query has, and as a plain join it hash-joined all of the user's 28k lexeme_stats
  -- rows instead (7 ms at 100k chunks). LIMIT 1 keeps the lookup from being flattened.
  SELECT l.lexeme, array_to_tsvector(ARRAY[l.lexeme])::text::tsquery AS tsq, s.df,
         ln(1 + (corpus.n - s.df + 0.5) / (s.df + 0.5))::float8 AS idf
  FROM (SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', %(text)s::text))) l
  CROSS JOIN corpus
  CROSS JOIN LATERAL (SELECT coalesce(max(df), 0) AS df FROM (
    SELECT df FROM {lexeme_stats} WHERE user_id = %(user_id)s::bigint AND lexeme = l.lexeme
    LIMIT 1) one) s
), rare AS (
  SELECT tsq, sum(df) OVER w AS reach, row_number() OVER w AS nth
  FROM terms WHERE df > 0 WINDOW w AS (ORDER BY df, lexeme)
"""
