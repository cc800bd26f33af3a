"""Hybrid search over a user's chunks: semantic, keyword and lexical parts, all visible.

`search(user_id, q, limit, mode)` is the one entry point (the API, the /articles page,
chat retrieval and the benchmark all call it). See docs/search.md for the formula.
"""
from app.config import current as current_config
from app.db import execute_prepared
from app.providers import get_embedder
from app.search import sql
from app.search.highlight import excerpt
from app.search.query import Query, QueryError, parse

MODES = ("hybrid", "vector", "lexical")
MAX_LIMIT = 50

__all__ = ["MODES", "Query", "QueryError", "parse", "run", "search"]


def search(user_id, q, limit=10, mode="hybrid", config=None):
    """The user's best chunks for `q` (str or Query), at most SEARCH_PER_ARTICLE per article.

    Each result is a dict: article_id, title, url, chunk_id, idx, content, excerpt (safe
    HTML), matched (query terms found), similarity (the chunk's cosine) and score
    {semantic, keyword, lexical, total}.
    Raises QueryError for an empty or over-long query."""
    cfg = config or current_config()
    if mode not in MODES:
        raise QueryError(f"mode must be one of {', '.join(MODES)}")
    query = q if isinstance(q, Query) else parse(q, cfg.SEARCH_MAX_QUERY_CHARS)
    if not query.searchable:
        return []
    vector = get_embedder(cfg).embed([query.text])[0]
    return run(cfg, user_id, query, vector, mode, limit)


def run(cfg, user_id, query, vector, mode="hybrid", limit=10):
    """The database half of search(), for a query already embedded (the benchmark times it
    against the bare HNSW query). One round trip."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    # No connection_context: in a request the connection is the request's (closed at
    # teardown); elsewhere peewee connects on first use.
    name, statement = sql.statement(cfg, mode, limit)
    rows = execute_prepared(name, statement, sql.params(cfg, user_id, query, vector, mode,
                                                        limit), prefix=sql.SETTINGS)
    weight = semantic_weight(cfg)
    return [_result(row, query, weight) for row in rows.fetchall()]


def semantic_weight(cfg):
    """What the fusion multiplies the cosine by to make the semantic part."""
    if cfg.SEARCH_FUSION == "article":
        return 1 - cfg.SEARCH_ARTICLE_ALPHA
    return cfg.SEARCH_SEMANTIC_WEIGHT


def _result(row, query, weight):
    chunk_id, article_id, title, idx, content, matched, semantic, keyword, lexical, total = row
    return {"article_id": article_id, "title": title, "url": f"/articles/{article_id}",
            "chunk_id": chunk_id, "idx": idx, "content": content,
            "excerpt": excerpt(content, query.terms), "matched": matched,
            # the chunk's cosine similarity, whatever the fusion's weight (chat's threshold)
            "similarity": round(float(semantic) / weight, 4) if weight else 0.0,
            "score": {"semantic": round(float(semantic), 4), "keyword": round(float(keyword), 4),
                      "lexical": round(float(lexical), 4), "total": round(float(total), 4)}}
