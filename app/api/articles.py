"""GET /api/articles, GET|PUT|DELETE /api/articles/<id>, GET /api/articles/<id>/chunks.

Errors are JSON {"error", "status"} (app.errors); validation errors add {"fields"}."""
from flask import Blueprint, current_app, g, jsonify, request, url_for

from app import ratelimit
from app.articles import service
from app.auth.sessions import login_required
from app.config import current as current_config
from app.models import Article
from app.params import Params

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_PER_PAGE = 100
MAX_PAGE = 100_000  # keeps OFFSET well inside a bigint


@bp.before_request
def _limits():
    """A smaller body limit than uploads need (413 beyond it), and a per-client rate limit."""
    cfg = current_config()
    request.max_content_length = cfg.API_MAX_BODY_BYTES
    who = f"user:{g.user.id}" if g.get("user") else f"ip:{ratelimit.client_ip()}"
    if not ratelimit.hit(f"api:{who}", cfg.API_RATE_PER_MINUTE, 60):
        response = jsonify(error="too many requests, slow down", status=429)
        return response, 429, {"Retry-After": str(ratelimit.retry_after(60))}


def invalid(fields):
    """400 naming each bad field."""
    return jsonify(error="validation failed", status=400, fields=fields), 400


@bp.get("/articles")
@login_required
def list_articles():
    """The user's articles, newest first: ?page=1&per_page=20 (at most 100)."""
    args = Params(request.args)
    page = args.int("page", 1, 1, MAX_PAGE)
    per_page = args.int("per_page", 20, 1, MAX_PER_PAGE)
    args.done()
    result = service.page_of(g.user.id, page, per_page)
    return jsonify(items=[brief(a) for a in result.items], page=result.page,
                   per_page=result.per_page, total=result.total, pages=result.pages)


@bp.get("/articles/<int:article_id>")
@login_required
def get_article(article_id):
    """One article with its text, sources and metadata."""
    return jsonify(full(service.owned_or_404(article_id)))


@bp.put("/articles/<int:article_id>")
@login_required
def put_article(article_id):
    """Change any of title, summary, category, text (text is re-indexed by the worker)."""
    article = service.owned_or_404(article_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return invalid({"body": "must be a JSON object"})
    unknown = {k: "is not an editable field" for k in data if k not in service.EDITABLE}
    values, errors = service.validate(data, required=())
    if unknown or errors or not data:
        return invalid({**unknown, **errors} or {"body": "no fields to change"})
    reindexing = service.update(article, values)
    return jsonify({**full(Article.get_by_id(article.id)), "reindex_queued": reindexing})


@bp.delete("/articles/<int:article_id>")
@login_required
def delete_article(article_id):
    """Delete the article with its chunks, sources and stored originals."""
    service.delete(service.owned_or_404(article_id), current_app.config["STORAGE_DIR"])
    return "", 204


@bp.get("/articles/<int:article_id>/chunks")
@login_required
def article_chunks(article_id):
    """The indexed passages of one article, in order."""
    chunks = service.chunks_of(service.owned_or_404(article_id))
    return jsonify(items=[{"idx": c.idx, "content": c.content} for c in chunks])


def brief(a):
    return {"id": a.id, "title": a.title, "summary": a.summary, "category": a.category,
            "tags": list(a.tags or []), "source_types": getattr(a, "source_types", []),
            "created_at": a.created_at.isoformat(), "updated_at": a.updated_at.isoformat(),
            "url": url_for("articles.detail", article_id=a.id)}


def full(a):
    sources = [{"id": s.id, "type": s.type, "name": s.name, "size": s.size,
                "content_type": s.content_type, "error": s.error,
                "download_url": url_for("articles.download", article_id=a.id, source_id=s.id)
                if s.downloadable else None} for s in service.sources_of(a)]
    return {**brief(a), "text": a.content_text, "metadata": a.metadata or {},
            "sources": sources, "source_types": sorted({s["type"] for s in sources}),
            "chunks": service.chunk_count(a)}
