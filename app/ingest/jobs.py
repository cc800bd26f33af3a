"""RQ jobs of ingestion. Verbs over ids, idempotent: running one twice changes nothing."""
import logging
import time
import traceback

import peewee

from app import metrics
from app.config import current as current_config
from app.db import db
from app.ingest.chunking import chunk_text
from app.ingest.message import read_message
from app.ingest.store import save_files
from app.models import Article, Chunk, InboundEvent, Source, User
from app.models.base import utcnow
from app.providers import get_provider

log = logging.getLogger(__name__)



def ingest_event(event_id):
    """Turn stored inbound event `event_id` into an article with sources and chunks."""
    with db.connection_context():
        event = InboundEvent.get_or_none(InboundEvent.id == event_id)
        if event is None or event.status == "rejected":
            return None
        existing = Article.get_or_none(Article.event_id == event_id)
        if existing or event.status == "done":
            return _finish(event_id, existing.id if existing else event.article_id)
        InboundEvent.update(status="processing", attempts=InboundEvent.attempts + 1,
                            updated_at=utcnow()).where(InboundEvent.id == event_id).execute()
        started = time.monotonic()
        try:
            article_id = build_article(event, current_config())
        except Exception as exc:
            _fail(event_id, exc)
            raise  # RQ retries with backoff
        metrics.INGEST_SECONDS.observe(time.monotonic() - started)
    log.info("event %s ingested as article %s", event_id, article_id)
    _confirm(article_id)
    return article_id


def build_article(event, cfg):
    """Extract, chunk, embed and describe, then write everything in one transaction."""
    data = event.payload().get("data") or {}
    message = read_message(data)
    display_name = (data.get("from") or {}).get("name") if isinstance(data.get("from"), dict) \
        else None
    user = User.get_or_create_by_email(event.sender, display_name)
    paths = save_files(cfg.STORAGE_DIR, user.id, event.id, message.parts)
    text = message.text
    chunks, truncated = chunk_text(text, cfg.CHUNK_TOKENS, cfg.MAX_CHUNKS_PER_ARTICLE)
    provider = get_provider(cfg)
    vectors = provider.embedder.embed(chunks) if chunks else []
    mean = [sum(col) / len(vectors) for col in zip(*vectors, strict=True)] if vectors else None
    summary = provider.summarize(message.title, text) if text else ""
    category = provider.classify(message.title, text, mean) if text else "other"
    meta = {**message.metadata, "truncated": truncated, "skipped_attachments": message.skipped,
            "embedding_model": provider.embedder.name}
    try:
        return _write(event, user, message, paths, chunks, vectors, summary, category, meta)
    except peewee.IntegrityError:  # a concurrent run of the same event won the race
        return Article.get(Article.event_id == event.id).id


def _write(event, user, message, paths, chunks, vectors, summary, category, meta):
    with db.atomic():
        article = Article.create(user=user, event_id=event.id, title=message.title,
                                 summary=summary, content_text=message.text,
                                 category=category, metadata=meta)
        for part, path in zip(message.parts, paths, strict=True):
            Source.create(article=article, type=part.type, name=part.name, path=path,
                          content_type=part.content_type, size=len(part.data or b""),
                          raw_text=part.raw_text, error=part.error, metadata=part.metadata)
        Chunk.insert_many([{"article": article.id, "user_id": user.id, "idx": i,
                            "content": c, "embedding": v}
                           for i, (c, v) in enumerate(zip(chunks, vectors, strict=True))]).execute()
        InboundEvent.set_status(event.id, "done", article_id=article.id,
                                processed_at=utcnow(), last_error=None)
    return article.id


def _finish(event_id, article_id):
    InboundEvent.set_status(event_id, "done", article_id=article_id, last_error=None)
    return article_id


def _fail(event_id, exc):
    metrics.INGEST_FAILURES.inc()
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    log.exception("ingest of event %s failed: %s", event_id, detail)
    if db.in_transaction():
        db.rollback()
    InboundEvent.set_status(event_id, "failed", last_error=detail)


def _confirm(article_id):
    from app.mail.jobs import send_confirmation
    from app.queue import try_enqueue
    try_enqueue(send_confirmation, article_id, queue_name="mail",
                job_id=f"confirm-{article_id}")


def sweep_events(received_for=60, processing_for=None):
    """Enqueue events that were accepted but never finished (Redis down at webhook time, or
    a worker killed mid-job), and edits whose re-index never ran. Safe to run any time:
    both jobs are idempotent. Returns the event ids."""
    from app.ingest.reindex import pending_reindex, reindex_article
    from app.queue import enqueue
    with db.connection_context():
        if processing_for is None:  # a live job may run up to its timeout
            processing_for = current_config().JOB_TIMEOUT_SECONDS + 60
        ids = [e.id for e in InboundEvent.stale(received_for, processing_for)]
        edited = pending_reindex(processing_for)
    for event_id in ids:
        enqueue(ingest_event, event_id, queue_name="ingest", job_id=f"ingest-{event_id}")
    for article_id in edited:
        enqueue(reindex_article, article_id, queue_name="ingest")
    if ids or edited:
        log.info("sweeper re-enqueued events %s and re-index of articles %s", ids[:20],
                 edited[:20])
    return ids


def abandon_event(event_id, reason):
    """The worker killed this event's job (timeout, OOM): record it as failed, not leave it
    `processing`. The sweeper retries it while attempts remain (`INGEST_MAX_ATTEMPTS`)."""
    with db.connection_context():
        (InboundEvent.update(status="failed", last_error=str(reason)[:2000], updated_at=utcnow())
         .where((InboundEvent.id == event_id) & (InboundEvent.status == "processing"))
         .execute())
    log.error("ingest of event %s abandoned: %s", event_id, reason)
