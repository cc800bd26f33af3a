"""Article queries and changes shared by the UI and the JSON API. Every lookup goes through
Article.owned/get_owned, so another user's article is simply not found (404, never 403)."""
import math
from dataclasses import dataclass

from flask import abort, g
from peewee import SQL, fn

from app.articles import originals
from app.db import db
from app.models import Article, Chunk, Source, SourceFile
from app.models.base import utcnow
from app.params import text_problem
from app.providers.categories import CATEGORIES
from app.queue import try_enqueue

LIMITS = {"title": 300, "summary": 5000, "category": 40, "text": 1_000_000}
EDITABLE = tuple(LIMITS)
SINGLE_LINE = ("title", "category")  # a title becomes an email Subject and a page heading


def owned_or_404(article_id):
    """The logged-in user's article; 404 (never 403) when it is someone else's or gone."""
    article = Article.get_owned(article_id, g.user.id)
    if article is None:
        abort(404, description="No such article.")
    return article


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page))


def page_of(user_id, page=1, per_page=20):
    """One page of the user's articles, newest first, each with `source_types` attached."""
    query = Article.owned(user_id)
    total = query.count()
    items = list(Article.owned(user_id)
                 .select(Article.id, Article.title, Article.summary, Article.category,
                         Article.tags, Article.created_at, Article.updated_at)
                 .order_by(Article.created_at.desc(), Article.id.desc())
                 .paginate(page, per_page))
    types = source_types([a.id for a in items])
    for a in items:
        a.source_types = types.get(a.id, [])
    return Page(items, page, per_page, total)


def source_types(article_ids):
    """{article id: sorted distinct source types} in one query."""
    found = {}
    if article_ids:
        rows = (Source.select(Source.article, Source.type).distinct()
                .where(Source.article.in_(article_ids)).tuples())
        for article_id, kind in rows:
            found.setdefault(article_id, set()).add(kind)
    return {k: sorted(v) for k, v in found.items()}


def sources_of(article):
    """The article's sources, each with `downloadable`: whether it has an original, in the
    database or (stored before migration 0008) as a file."""
    stored = SourceFile.select(SQL("1")).where(SourceFile.source == Source.id)
    downloadable = (fn.EXISTS(stored) | Source.path.is_null(False)).alias("downloadable")
    return list(Source.select(Source, downloadable)
                .where(Source.article == article.id).order_by(Source.id))


def chunk_count(article):
    return Chunk.select().where(Chunk.article == article.id).count()


def chunks_of(article):
    return list(Chunk.select(Chunk.idx, Chunk.content)
                .where(Chunk.article == article.id).order_by(Chunk.idx))


def validate(data, required=EDITABLE):
    """(clean values, {field: message}) for the editable fields present in `data`."""
    values, errors = {}, {}
    for name in EDITABLE:
        if name not in data:
            if name in required:
                errors[name] = "is required"
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.replace("\r\n", "\n")
            value = value.strip() if name != "text" else value
        problem = text_problem(value, LIMITS[name], single_line=name in SINGLE_LINE)
        if problem:
            errors[name] = problem
        elif name == "title" and not value:
            errors[name] = "must not be empty"
        elif name == "category" and value not in CATEGORIES:
            errors[name] = "must be one of: " + ", ".join(CATEGORIES)
        else:
            values[name] = value
    return values, errors


def update(article, values):
    """Save edited fields; changed text is re-chunked and re-embedded by the worker.
    Returns True when a re-index was queued."""
    from app.ingest.reindex import reindex_article
    changes = {k: v for k, v in values.items() if k != "text"}
    text_changed = "text" in values and values["text"] != article.content_text
    if text_changed:
        changes["content_text"] = values["text"]
        changes["metadata"] = {**(article.metadata or {}), "reindex_pending": True}
    if changes:
        changes["updated_at"] = utcnow()
        Article.update(**changes).where(Article.id == article.id).execute()
    if text_changed:
        return try_enqueue(reindex_article, article.id, queue_name="ingest") is not None
    return False


def delete(article, storage_dir):
    """Delete the article, its sources, chunks and originals (one transaction: the originals
    in the database go by the foreign key), then its files stored before migration 0008."""
    paths = originals.legacy_paths(article.id)
    with db.atomic():
        Chunk.delete().where(Chunk.article == article.id).execute()
        Source.delete().where(Source.article == article.id).execute()
        Article.delete().where(Article.id == article.id).execute()
    originals.remove_files(storage_dir, paths)
