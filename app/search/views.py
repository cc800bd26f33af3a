"""GET /api/search: thin — parse, call search(), answer JSON."""
from flask import Blueprint, abort, g, jsonify, request

from app.auth.sessions import login_required
from app.search import MODES, QueryError, search

bp = Blueprint("search", __name__)


@bp.get("/api/search")
@login_required
def api_search():
    mode = request.args.get("mode", "hybrid")
    limit = request.args.get("limit", "10")
    if mode not in MODES or not limit.isdigit() or int(limit) < 1:
        abort(400, description=f"limit must be a positive integer and mode one of {MODES}")
    try:
        results = search(g.user.id, request.args.get("q", ""), limit=int(limit), mode=mode)
    except QueryError as exc:
        abort(400, description=str(exc))
    return jsonify(query=request.args.get("q", ""), mode=mode, results=results)
