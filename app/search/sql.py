"""The search statement: vector (HNSW) and full-text (GIN) candidates fused in one query.

Every constant of the score comes in as a parameter from config; only the shape of the
formula lives here. Parts, per chunk:
  semantic = SEARCH_SEMANTIC_WEIGHT * (1 - cosine distance)
  keyword  = min(SEARCH_KEYWORD_MAX, SEARCH_KEYWORD_BOOST * query terms the chunk contains)
  lexical  = sum fusion:        min(SEARCH_LEXICAL_MAX, ts_rank)
             normalised fusion: SEARCH_LEXICAL_MAX * ts_rank / best ts_rank among candidates
  total    = min(1, semantic + keyword + lexical)
"""

# Session settings sent in the same round trip as the query. ef_search bounds how many
# neighbours HNSW returns; iterative scan keeps going when the user filter drops most of
# them (other users' chunks), instead of silently returning fewer candidates.
SETTINGS = "SET hnsw.ef_search = %(ef_search)s; SET hnsw.iterative_scan = relaxed_order;"

LEXICAL = {
    "sum": "LEAST(%(lexical_max)s, rank)",
    "normalised": "%(lexical_max)s * rank / GREATEST(max(rank) OVER (), 1e-9)",
}

ORDER = {"hybrid": "total", "vector": "semantic", "lexical": "rank"}

STATEMENT = """
WITH vec AS (
  SELECT id FROM chunks
  WHERE user_id = %(user_id)s AND %(use_vector)s
  ORDER BY embedding <=> %(vector)s::vector LIMIT %(candidates)s
), lex AS (
  SELECT id FROM chunks
  WHERE user_id = %(user_id)s AND %(use_lexical)s AND tsv @@ to_tsquery('english', %(tsq)s)
  ORDER BY ts_rank(tsv, to_tsquery('english', %(tsq)s), %(rank_normalization)s) DESC
  LIMIT %(candidates)s
), parts AS (
  SELECT c.id, c.article_id, c.idx, c.content,
         %(semantic_weight)s * (1 - (c.embedding <=> %(vector)s::vector)) AS semantic,
         (SELECT count(*) FROM unnest(%(terms)s::text[]) AS t(term)
           WHERE c.tsv @@ plainto_tsquery('english', t.term)) AS matched,
         ts_rank(c.tsv, to_tsquery('english', %(tsq)s), %(rank_normalization)s) AS rank
  FROM chunks c JOIN (SELECT id FROM vec UNION SELECT id FROM lex) cand USING (id)
), scored AS (
  SELECT *, LEAST(%(keyword_max)s, %(keyword_boost)s * matched) AS keyword,
         {lexical} AS lexical
  FROM parts
), ranked AS (
  SELECT *, LEAST(1.0, semantic + keyword + lexical) AS total FROM scored
), grouped AS (
  SELECT *, row_number() OVER (PARTITION BY article_id ORDER BY {order} DESC, idx) AS nth
  FROM ranked
)
SELECT g.id, g.article_id, a.title, g.idx, g.content, g.matched,
       g.semantic, g.keyword, g.lexical, g.total
FROM grouped g JOIN articles a ON a.id = g.article_id AND a.user_id = %(user_id)s
WHERE g.nth <= %(per_article)s
ORDER BY g.{order} DESC, g.id
LIMIT %(limit)s
"""


def statement(mode, fusion):
    """The SQL for a mode (hybrid|vector|lexical) and a lexical fusion (sum|normalised)."""
    return SETTINGS + STATEMENT.format(lexical=LEXICAL[fusion], order=ORDER[mode])


def params(cfg, user_id, query, vector, mode, limit):
    """Bind values: the query, and the formula's constants from config."""
    return {
        "user_id": user_id, "vector": "[" + ",".join(f"{x:.6f}" for x in vector) + "]",
        "tsq": query.tsquery or "", "terms": list(query.terms), "limit": limit,
        "use_vector": mode in ("hybrid", "vector"),
        "use_lexical": mode in ("hybrid", "lexical") and bool(query.terms),
        "candidates": cfg.SEARCH_CANDIDATES, "ef_search": max(40, cfg.SEARCH_CANDIDATES),
        "semantic_weight": cfg.SEARCH_SEMANTIC_WEIGHT, "keyword_boost": cfg.SEARCH_KEYWORD_BOOST,
        "keyword_max": cfg.SEARCH_KEYWORD_MAX, "lexical_max": cfg.SEARCH_LEXICAL_MAX,
        "per_article": cfg.SEARCH_PER_ARTICLE,
        "rank_normalization": cfg.SEARCH_RANK_NORMALIZATION,
    }
