"""The `article` fusion: whole emails ranked by BM25, fused with their best chunk's cosine.

Per query lexeme, idf = ln(1 + (N - df + 0.5) / (df + 0.5)) over the user's articles
(`article_lexeme_stats`, migration 0006); tf and the email's length in positions come
from its postings (`article_postings`, migration 0007). Parts, per result chunk:
  semantic = (1 - SEARCH_ARTICLE_ALPHA) * (1 - cosine distance of the chunk)
  keyword  = 0
  lexical  = SEARCH_ARTICLE_ALPHA * bm25(article) / ((k1 + 1) * sum of every query
             lexeme's idf)  -- the share of the best score the query could have
  total    = semantic + lexical
Candidates: the articles of the SEARCH_ARTICLE_VECTOR nearest chunks (HNSW) and the
SEARCH_ARTICLE_LEXICAL best emails by a first BM25 over each query lexeme's
SEARCH_TERM_POSTINGS best postings by impact ("top k per term"); every candidate is then
scored by its exact BM25 over all query lexemes. A lexical-only article shows
its chunks nearest the query. On the retrieval bench whole-email BM25 matched SQLite
FTS5 where chunk BM25 trailed it, and no per-query choice of the weight beat a fixed one
(docs/search.md).
"""
from app.search import terms_sql

# BM25's term weight of a posting `p` (tf, dl) of the query lexeme `t`, with the terms'
# constants folded once per lexeme (`w`, `c`, `k` in `weights`) rather than per posting:
#   idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)) = w * tf / (tf + c + k * dl)
BM25 = "t.w * p.tf / (p.tf + t.c + t.k * p.dl)"

# The scored candidates; app/search/sql.py adds the page (sql.PAGE) after `ranked`.
SCORES = terms_sql.corpus_terms("articles", "user_article_stats", "article_lexeme_stats",
                                length="positions") + """), weights AS MATERIALIZED (
  -- use_lexical filters the terms once, not each lexeme's scan (a filter node per posting).
  SELECT lexeme, idf * (%(k1)s::float8 + 1) AS w, %(k1)s::float8 * (1 - %(b)s::float8) AS c,
         %(k1)s::float8 * %(b)s::float8 / (SELECT avgdl FROM corpus) AS k
  FROM terms WHERE %(use_lexical)s::boolean
), vec AS MATERIALIZED (
  SELECT id, article_id, idx, embedding <=> %(vector)s::vector AS distance FROM chunks
  WHERE user_id = %(user_id)s::bigint AND %(use_vector)s::boolean
  ORDER BY embedding <=> %(vector)s::vector LIMIT {candidates:d}
), top_k AS MATERIALIZED (
  -- Each lexeme's best postings, read from an index-only scan (no tsvector is
  -- decompressed) and summed per email: only to choose the lexical candidates.
  SELECT p.article_id, sum(""" + BM25 + """) AS weight
  FROM weights t CROSS JOIN LATERAL (
    SELECT article_id, tf, dl FROM article_postings
    WHERE user_id = %(user_id)s::bigint AND lexeme = t.lexeme
    ORDER BY impact DESC LIMIT {postings:d}) p
  GROUP BY 1
), lex AS MATERIALIZED (
  SELECT article_id FROM top_k ORDER BY weight DESC, 1 LIMIT {budget:d}
), bm25 AS MATERIALIZED (
  -- Every candidate email's exact BM25, by primary key per (email, query lexeme): a
  -- lexeme's best postings alone left out an email outside them for that lexeme, which
  -- in a library of 6,000 emails cost 0.04 MRR@10 (docs/search.md).
  SELECT p.article_id, count(*) AS matched, sum(""" + BM25 + """) AS weight
  FROM (SELECT article_id FROM lex UNION SELECT article_id FROM vec) e
  CROSS JOIN weights t
  JOIN article_postings p ON p.article_id = e.article_id AND p.lexeme = t.lexeme
  GROUP BY 1
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
  SELECT s.id, s.article_id, s.idx, coalesce(b.matched, 0) AS matched,
         (1 - %(alpha)s::float8) * (1 - s.distance) AS semantic, 0::float8 AS keyword,
         %(alpha)s::float8 * coalesce(b.weight, 0) / GREATEST((%(k1)s::float8 + 1)
           * (SELECT sum(idf) FROM terms), 1e-9) AS lexical
  FROM shown s LEFT JOIN bm25 b USING (article_id)
), ranked AS (
  SELECT *, semantic + keyword + lexical AS total FROM scored
"""
