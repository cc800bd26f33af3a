"""GET /api/search: thin — parse, call search(), answer JSON."""
from flask import Blueprint, g, jsonify, request

from app.auth.sessions import login_required
from app.config import current as current_config
from app.params import ParamError, Params
from app.search import MAX_LIMIT, MODES, QueryError, search

bp = Blueprint("search", __name__)


@bp.get("/api/search")
@login_required
def api_search():
    args = Params(request.args)
    q = args.text("q", current_config().SEARCH_MAX_QUERY_CHARS)
    mode = args.text("mode", 20, default="hybrid")
    limit = args.int("limit", 10, 1, MAX_LIMIT)
    if mode not in MODES:
        args.refuse("mode", f"must be one of {', '.join(MODES)}")
    args.done()
    try:
        results = search(g.user.id, q, limit=limit, mode=mode)
    except QueryError as exc:
        raise ParamError({"q": str(exc)}) from exc
    return jsonify(query=q, mode=mode, results=results)
