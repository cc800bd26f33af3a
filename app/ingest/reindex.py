"""Re-chunk and re-embed an article after its text was edited."""
import datetime
import logging

from app.config import current as current_config
from app.db import db
from app.ingest.chunking import chunk_text
from app.models import Article, Chunk
from app.models.base import utcnow
from app.providers import get_provider

log = logging.getLogger(__name__)


def reindex_article(article_id):
    """Replace article `article_id`'s chunks with ones built from its current text.

    Idempotent: the chunks are swapped in one transaction, and if the text changed again
    while we were embedding, we stop — the job queued by that newer edit does the work."""
    cfg = current_config()
    with db.connection_context():
        article = Article.get_or_none(Article.id == article_id)
        if article is None:
            return None
        text = article.content_text
        chunks, truncated = chunk_text(text, cfg.CHUNK_TOKENS, cfg.MAX_CHUNKS_PER_ARTICLE)
        embedder = get_provider(cfg).embedder
        vectors = embedder.embed(chunks) if chunks else []
        with db.atomic():
            current = (Article.select().where(Article.id == article_id).for_update().first())
            if current is None or current.content_text != text:
                return None
            Chunk.delete().where(Chunk.article == article_id).execute()
            if chunks:
                Chunk.insert_many(_rows(current, chunks, vectors)).execute()
            meta = {**(current.metadata or {}), "truncated": truncated,
                    "embedding_model": embedder.name, "reindex_pending": False}
            Article.update(metadata=meta).where(Article.id == article_id).execute()
    log.info("article %s re-indexed into %d chunks", article_id, len(chunks))
    return len(chunks)


def pending_reindex(older_than_seconds):
    """Articles whose text was edited but whose re-index job never ran (Redis was down)."""
    cutoff = utcnow() - datetime.timedelta(seconds=older_than_seconds)
    return [a.id for a in Article.select(Article.id).where(
        Article.metadata.contains({"reindex_pending": True}), Article.updated_at <= cutoff)]


def _rows(article, chunks, vectors):
    return [{"article": article.id, "user_id": article.user_id, "idx": i, "content": c,
             "embedding": v} for i, (c, v) in enumerate(zip(chunks, vectors, strict=True))]
