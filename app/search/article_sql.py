"""The `article` fusion: whole emails ranked by BM25, fused with their best chunk's cosine.

Per query lexeme, idf = ln(1 + (N - df + 0.5) / (df + 0.5)) over the user's articles
(`article_lexeme_stats`, migration 0006). Parts, per result chunk:
  semantic = (1 - SEARCH_ARTICLE_ALPHA) * (1 - cosine distance of the chunk)
  keyword  = 0
  lexical  = SEARCH_ARTICLE_ALPHA * bm25(article) / ((k1 + 1) * sum of every query
             lexeme's idf)  -- the share of the best score the query could have
  total    = semantic + lexical
Candidates: the articles of the nearest chunks (HNSW), and the articles of chunks that
contain the query's rarest lexemes (SEARCH_LEXICAL_BUDGET, as the chunk statement does);
a lexical-only article shows its chunks nearest the query. On the retrieval bench
whole-email BM25 matched SQLite FTS5 where chunk BM25 trailed it, and no per-query
choice of the weight beat a fixed one (docs/search.md).
"""
from app.search import terms_sql

# The scored candidates; app/search/sql.py adds the page (sql.PAGE) after `ranked`.
SCORES = terms_sql.corpus_terms("articles", "user_article_stats",
                                "article_lexeme_stats") + """), vec AS MATERIALIZED (
  SELECT id, article_id, idx, embedding <=> %(vector)s::vector AS distance FROM chunks
  WHERE user_id = %(user_id)s::bigint AND %(use_vector)s::boolean
  ORDER BY embedding <=> %(vector)s::vector LIMIT {candidates:d}
), lex AS MATERIALIZED (
  -- Emails with the rarest query lexemes, found through the chunks' GIN index: a match in
  -- a chunk is a match in its email. The articles' own index would do, but with the query
  -- unknown to the generic plan the planner reads a small user's every article instead,
  -- de-TOASTing each tsvector (10 ms at 4,000 emails).
  SELECT DISTINCT article_id FROM (
    SELECT article_id FROM chunks
    WHERE user_id + 0 = %(user_id)s::bigint AND %(use_lexical)s::boolean AND tsv @@ coalesce(
      (SELECT string_agg(tsq::text, ' | ')::tsquery FROM rare WHERE reach <= {budget:d}),
      (SELECT string_agg(tsq::text, ' & ')::tsquery FROM rare
       WHERE nth <= 2 AND NOT %(use_vector)s::boolean))
    LIMIT {budget:d}) m
), bm25 AS MATERIALIZED (
  -- The email's tsvector is de-TOASTed once (`|| ''` makes an in-memory copy); passed on
  -- as stored, every ts_rank_cd call below would decompress it again.
  SELECT c.article_id, m.matched, coalesce(m.weight, 0) AS weight
  FROM (SELECT article_id FROM vec UNION SELECT article_id FROM lex) c
  CROSS JOIN LATERAL (SELECT tsv || ''::tsvector AS tsv FROM articles
                      WHERE id = c.article_id LIMIT 1) a
  CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE f.tf > 0) AS matched,
           sum(t.idf * f.tf * (%(k1)s::float8 + 1) / (f.tf + %(k1)s::float8 * (1 - %(b)s::float8
               + %(b)s::float8 * length(a.tsv) / (SELECT avgdl FROM corpus)))) AS weight
    FROM terms t
    CROSS JOIN LATERAL (SELECT ts_rank_cd('{{1,1,1,1}}', a.tsv, t.tsq, 0)::float8 AS tf) f
    WHERE %(use_lexical)s::boolean) m
), shown AS (
  -- A lexical-only article's chunks nearest the query: one index range per article.
  SELECT id, article_id, idx, distance FROM vec
  UNION ALL
  SELECT c.id, c.article_id, c.idx, c.distance
  FROM (SELECT article_id FROM lex EXCEPT SELECT article_id FROM vec) l
  CROSS JOIN LATERAL (
    SELECT id, article_id, idx, embedding <=> %(vector)s::vector AS distance FROM chunks
    WHERE article_id = l.article_id ORDER BY 4 LIMIT {per_article:d}) c
), scored AS (
  SELECT s.id, s.article_id, s.idx, b.matched,
         (1 - %(alpha)s::float8) * (1 - s.distance) AS semantic, 0::float8 AS keyword,
         %(alpha)s::float8 * b.weight / GREATEST((%(k1)s::float8 + 1)
           * (SELECT sum(idf) FROM terms), 1e-9) AS lexical
  FROM shown s JOIN bm25 b USING (article_id)
), ranked AS (
  SELECT *, semantic + keyword + lexical AS total FROM scored
"""
