"""Article pages. Thin: parse the request, call app.articles.service, render."""
import importlib.util

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from app.articles import originals, service
from app.auth.sessions import login_required
from app.config import current as current_config
from app.models import Source
from app.params import Params
from app.providers.categories import CATEGORIES

bp = Blueprint("articles", __name__)
PER_PAGE = 20
MAX_PAGE = 100_000  # far past any real library; keeps OFFSET well inside a bigint
SEARCH_LIMIT = 20


@bp.get("/")
def home():
    return redirect(url_for("articles.index"))


@bp.get("/articles")
@login_required
def index():
    """The user's articles, newest first; with ?q= the search results instead."""
    args = Params(request.args)
    q = args.text("q", current_config().SEARCH_MAX_QUERY_CHARS).strip()
    number = args.int("page", 1, 1, MAX_PAGE)
    args.done()
    if q:
        return render_template("articles/index.html", q=q, results=_search(q), page=None)
    page = service.page_of(g.user.id, number, PER_PAGE)
    return render_template("articles/index.html", q="", page=page,
                           inbound=current_app.config["INBOUND_ADDRESS"])


def _search(q):
    """Hook owned by the search module: app.search.search(user_id, q, limit), rendered by
    articles/_search_results.html. Until that module exists, None ("not available")."""
    if importlib.util.find_spec("app.search") is None:
        return None
    from app import search
    try:
        return search.search(g.user.id, q, SEARCH_LIMIT)
    except search.QueryError as exc:
        abort(400, description=str(exc))


@bp.get("/articles/<int:article_id>")
@login_required
def detail(article_id):
    """Summary, full text, sources and metadata of one article."""
    article = service.owned_or_404(article_id)
    return render_template("articles/detail.html", article=article,
                           sources=service.sources_of(article),
                           chunks=service.chunk_count(article))


@bp.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
@login_required
def edit(article_id):
    """Edit title, summary, category and text (text changes are re-indexed by the worker)."""
    article = service.owned_or_404(article_id)
    if request.method == "GET":
        return _edit_form(article, {}, {})
    values, errors = service.validate(request.form.to_dict())
    if errors:
        return _edit_form(article, request.form, errors), 400
    reindexing = service.update(article, values)
    flash("Saved. The text is being re-indexed for search." if reindexing else "Saved.", "info")
    return redirect(url_for("articles.detail", article_id=article.id))


def _edit_form(article, form, errors):
    return render_template("articles/edit.html", article=article, form=form, errors=errors,
                           categories=list(CATEGORIES))


@bp.route("/articles/<int:article_id>/delete", methods=["GET", "POST"])
@login_required
def delete(article_id):
    """GET asks for confirmation; POST deletes the article, its chunks, sources and originals."""
    article = service.owned_or_404(article_id)
    if request.method == "GET":
        return render_template("articles/delete.html", article=article)
    service.delete(article, current_app.config["STORAGE_DIR"])
    flash(f"Deleted “{article.title}”.", "info")
    return redirect(url_for("articles.index"))


@bp.get("/articles/<int:article_id>/sources/<int:source_id>")
@login_required
def download(article_id, source_id):
    """A stored attachment, for its owner only, always as a download (never rendered)."""
    article = service.owned_or_404(article_id)
    source = Source.get_or_none(Source.id == source_id, Source.article == article.id)
    response = source and originals.send(source, current_app.config["STORAGE_DIR"])
    if response is None:
        abort(404, description="No such file.")
    return response
