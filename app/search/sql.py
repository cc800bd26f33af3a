"""The search statement: vector (HNSW) and full-text (GIN) candidates fused in one query.

Every constant of the score comes in as a parameter from config; only the shape of the
formula lives here. Per query lexeme, idf = ln(1 + (N - df + 0.5) / (df + 0.5)) (BM25's),
from the user's `lexeme_stats` (migration 0002). Parts, per chunk:
  semantic = SEARCH_SEMANTIC_WEIGHT * (1 - cosine distance)
  keyword  = min(SEARCH_KEYWORD_MAX, SEARCH_KEYWORD_BOOST * query lexemes the chunk contains)
  lexical  = SEARCH_LEXICAL_MAX * weight / norm, weight = BM25 over the matched lexemes
             (idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg len)), tf from the
             tsvector's positions); norm = best weight among candidates ("normalised") or
             the query's best possible, (k1 + 1) * its total idf ("coverage")
  total    = min(1, semantic + keyword + lexical)
"""
import numpy as np

from app.search import article_sql, terms_sql

# Session settings sent in the same round trip as the query. ef_search bounds how many
# neighbours HNSW returns; iterative scan keeps going when the user filter drops most of
# them (other users' chunks), instead of silently returning fewer candidates. The plan is
# prepared once per connection (planning this statement costs more than running its
# vector scan) and kept generic, not re-planned for each query's values.
SETTINGS = ("SET hnsw.ef_search = %(ef_search)s; SET hnsw.iterative_scan = relaxed_order;"
            " SET plan_cache_mode = force_generic_plan;")

LEXICAL = {
    "normalised": "%(lexical_max)s::float8 * weight / GREATEST(max(weight) OVER (), 1e-9)",
    # BM25 gives a term at most idf * (k1 + 1): the share of the query's best possible.
    "coverage": "%(lexical_max)s::float8 * weight"
                " / GREATEST((%(k1)s::float8 + 1) * (SELECT sum(idf) FROM terms), 1e-9)",
}

ORDER = {"hybrid": "total", "vector": "semantic", "lexical": "lexical"}

# Full-text candidates come from the query's rarest lexemes only: those whose document
# frequencies add up to at most SEARCH_LEXICAL_BUDGET chunks (OR-ed). A common word matches
# thousands of chunks and would make the GIN step read them all; the chunks it would add
# rank low on idf anyway, and the vector candidates still cover them. When even the rarest
# lexeme is over budget, hybrid search leaves it to the vector side: the AND of the two
# rarest still read thousands of GIN entries at 1M chunks (a third of the statement's time)
# to fetch an arbitrary 50 of them. Full-text-only search, with no vector side, falls back
# to that AND.
# Candidates carry what scoring needs (the distance from the HNSW scan, the tsvector), so
# no chunk is fetched twice; the text is joined in for the page's rows only.
SCORES = terms_sql.corpus_terms("chunks", "user_chunk_stats",
                                "lexeme_stats") + """), vec AS MATERIALIZED (
  SELECT id, article_id, idx, tsv, embedding <=> %(vector)s::vector AS distance FROM chunks
  WHERE user_id = %(user_id)s::bigint AND %(use_vector)s::boolean
  ORDER BY embedding <=> %(vector)s::vector LIMIT {candidates:d}
), lex AS (
  SELECT id, article_id, idx, tsv, embedding <=> %(vector)s::vector AS distance FROM chunks
  -- "+ 0" keeps the planner off the user_id index: it cannot see the (computed) tsquery,
  -- guesses it matches a handful of rows, and would read the user's chunks one by one to
  -- test each; the GIN index reads only the matches, which the rarest-terms choice bounds.
  WHERE user_id + 0 = %(user_id)s::bigint AND %(use_lexical)s::boolean AND tsv @@ coalesce(
    (SELECT string_agg(tsq::text, ' | ')::tsquery FROM rare
     WHERE reach <= {budget:d}),
    (SELECT string_agg(tsq::text, ' & ')::tsquery FROM rare
     WHERE nth <= 2 AND NOT %(use_vector)s::boolean))
    AND id NOT IN (SELECT id FROM vec)
  LIMIT {budget:d}
), parts AS (
  -- Per candidate, its matched query lexemes' BM25 terms. tf is the lexeme's number of
  -- positions: ts_rank_cd of a one-lexeme query, every weight 1, counts exactly those (one
  -- C call; unpacking the tsvector into rows cost more than the rest of the scoring).
  SELECT c.id, c.article_id, c.idx, %(semantic_weight)s::float8 * (1 - c.distance) AS semantic,
         m.matched, coalesce(m.weight, 0) AS weight
  FROM (SELECT * FROM vec UNION ALL SELECT * FROM lex) c
  CROSS JOIN LATERAL (
    SELECT count(*) AS matched,
           sum(t.idf * f.tf * (%(k1)s::float8 + 1) / (f.tf + %(k1)s::float8 * (1 - %(b)s::float8
               + %(b)s::float8 * length(c.tsv) / (SELECT avgdl FROM corpus)))) AS weight
    FROM terms t
    CROSS JOIN LATERAL (SELECT ts_rank_cd('{{1,1,1,1}}', c.tsv, t.tsq, 0)::float8 AS tf) f
    WHERE c.tsv @@ t.tsq) m
), scored AS (
  SELECT *, LEAST(%(keyword_max)s::float8, %(keyword_boost)s::float8 * matched) AS keyword,
         {lexical} AS lexical
  FROM parts
), ranked AS (
  SELECT *, LEAST(1.0, semantic + keyword + lexical) AS total FROM scored
"""

# Shared by both statements, after a CTE `ranked` of scored chunks (id, article_id, idx,
# matched, semantic, keyword, lexical, total): at most `per_article` chunks per article,
# the page, and its text.
PAGE = """
), grouped AS (
  SELECT *, row_number() OVER (PARTITION BY article_id ORDER BY {order} DESC, idx) AS nth
  FROM ranked
), top AS (
  -- A chunk with none of the query's words and a cosine of 0 or less is unrelated: on a
  -- small library every chunk is a vector candidate, and the page would list them all.
  SELECT * FROM grouped WHERE nth <= {per_article:d} AND (matched > 0 OR semantic > 0)
  ORDER BY {order} DESC, id LIMIT %(limit)s::int
)
-- One index lookup per row of the page: the plan is generic, so the planner cannot see how
-- small the page is and would hash-join all of the user's articles. (LIMIT 1 keeps it from
-- flattening the LATERAL subqueries into that join.)
SELECT t.id, t.article_id, a.title, t.idx, c.content, t.matched,
       t.semantic, t.keyword, t.lexical, t.total
FROM top t
CROSS JOIN LATERAL (SELECT content FROM chunks WHERE id = t.id LIMIT 1) c
CROSS JOIN LATERAL (SELECT title FROM articles
                    WHERE id = t.article_id AND user_id = %(user_id)s::bigint LIMIT 1) a
ORDER BY t.{order} DESC, t.id
"""

STATEMENT = SCORES + PAGE
ARTICLE_STATEMENT = article_sql.SCORES + PAGE


def statement(cfg, mode, limit):
    """(name, SQL) of the prepared statement for a mode (hybrid|vector|lexical), with
    psycopg2 placeholders. The integers that shape the plan (candidates read per side, rows
    per article) are written into the SQL, not bound: the plan is generic, and with a bound
    LIMIT on the HNSW side it took 60 ms instead of 4.5 ms at 1M chunks."""
    article = cfg.SEARCH_FUSION == "article"
    nearest = cfg.SEARCH_ARTICLE_VECTOR if article and mode == "hybrid" else cfg.SEARCH_CANDIDATES
    shape = {"candidates": max(nearest, limit),
             "budget": max(cfg.SEARCH_ARTICLE_LEXICAL, limit) if article
             else cfg.SEARCH_LEXICAL_BUDGET,
             "per_article": cfg.SEARCH_PER_ARTICLE, "postings": cfg.SEARCH_TERM_POSTINGS}
    name = "simplr_search_{}_{}_{candidates}_{budget}_{per_article}_{postings}".format(
        mode, cfg.SEARCH_FUSION, **shape)
    if article:
        return name, ARTICLE_STATEMENT.format(order=ORDER[mode], **shape)
    return name, STATEMENT.format(lexical=LEXICAL[cfg.SEARCH_FUSION], order=ORDER[mode],
                                  **shape)


def ef_search(cfg, limit=10):
    """HNSW search width: wide enough to return every vector candidate."""
    return max(cfg.SEARCH_EF_SEARCH, cfg.SEARCH_CANDIDATES, limit)


def params(cfg, user_id, query, vector, mode, limit):
    """Bind values: the query, and the formula's constants from config."""
    return {
        "user_id": user_id, "vector": vector_literal(vector),
        "text": " ".join(query.terms), "limit": limit,
        "use_vector": mode in ("hybrid", "vector"),
        "use_lexical": mode in ("hybrid", "lexical") and bool(query.terms),
        "ef_search": ef_search(cfg, limit),
        "k1": cfg.SEARCH_BM25_K1, "b": cfg.SEARCH_BM25_B,
        "semantic_weight": cfg.SEARCH_SEMANTIC_WEIGHT, "keyword_boost": cfg.SEARCH_KEYWORD_BOOST,
        "keyword_max": cfg.SEARCH_KEYWORD_MAX, "lexical_max": cfg.SEARCH_LEXICAL_MAX,
        "alpha": cfg.SEARCH_ARTICLE_ALPHA,
    }


def vector_literal(vector):
    """The query vector as pgvector text, in integer millionths: the statement only takes
    its cosine distance, which ignores length, and formatting 384 floats in Python cost
    0.1-0.2 ms, a twentieth of a search. Same precision as six decimals."""
    return str(np.rint(np.asarray(vector, dtype=np.float64) * 1e6).astype(np.int64).tolist())
