"""RQ jobs of ingestion. Verbs over ids, idempotent: running one twice changes nothing."""
import logging
import time
import traceback

import peewee

from app import metrics
from app.chat import by_email
from app.config import current as current_config
from app.db import db
from app.ingest.chunking import chunk_text
from app.ingest.message import read_message
from app.ingest.owner import resolve
from app.ingest.store import save_original
from app.models import Article, Chunk, InboundEvent, Source
from app.models.base import utcnow
from app.providers import get_provider

log = logging.getLogger(__name__)


def ingest_event(event_id):
    """Turn stored inbound event `event_id` into an article with sources and chunks, or
    hold it when its sender is not proven. One worker at a time per event (a lock)."""
    with db.connection_context():
        if not InboundEvent.lock(event_id):
            log.info("event %s is being worked by another worker; skipped", event_id)
            return None
        try:
            article_id, notify = _ingest(event_id, current_config())
        finally:
            InboundEvent.unlock(event_id)
    if article_id and notify:
        _confirm(article_id)
    return article_id


def _ingest(event_id, cfg):
    """(article id, whether to mail a confirmation) for a locked event."""
    event = InboundEvent.get_or_none(InboundEvent.id == event_id)
    if event is None or event.status in ("rejected", "held"):
        return None, False
    existing = Article.get_or_none(Article.event_id == event_id)
    if existing or event.status == "done":
        return _finish(event_id, existing.id if existing else event.article_id), False
    if event.attempts >= cfg.INGEST_MAX_ATTEMPTS:
        InboundEvent.set_status(event_id, "failed", last_error=f"gave up after "
                                f"{event.attempts} attempts: {event.last_error or ''}"[:2000])
        return None, False
    data = _data(event)
    owner = resolve(event, data, cfg)
    if owner.user is None:
        return _hold(event, owner), False
    InboundEvent.update(status="processing", attempts=InboundEvent.attempts + 1,
                        updated_at=utcnow()).where(InboundEvent.id == event_id).execute()
    started = time.monotonic()
    try:
        if owner.notify and by_email.is_question(cfg, data):
            by_email.reply(event, data, owner.user, cfg)  # answered by mail, no article
            return None, False
        article_id = build_article(event, data, owner.user, cfg)
    except Exception as exc:
        _fail(event, exc)
        raise  # RQ retries with backoff, while attempts remain
    metrics.INGEST_SECONDS.observe(time.monotonic() - started)
    log.info("event %s ingested as article %s (%s)", event_id, article_id, owner.evidence)
    return article_id, owner.notify


def _data(event):
    data = event.payload().get("data")
    return data if isinstance(data, dict) else {}


def _hold(event, owner):
    InboundEvent.set_status(event.id, "held", hold_reason=owner.hold_reason[:1000])
    metrics.INGEST_HELD.inc()
    log.warning("event %s held: %s", event.id, owner.hold_reason,
                extra={"event_id": event.id, "reason": owner.hold_reason})
    return None


def build_article(event, data, user, cfg):
    """Extract, chunk, embed and describe, then write everything in one transaction."""
    message = read_message(data, cfg)
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
        return _write(event, user, message, chunks, vectors, summary, category, meta)
    except peewee.IntegrityError:  # a concurrent run of the same event won the race
        return Article.get(Article.event_id == event.id).id


def _write(event, user, message, chunks, vectors, summary, category, meta):
    with db.atomic():
        article = Article.create(user=user, event_id=event.id, title=message.title,
                                 summary=summary, content_text=message.text,
                                 category=category, metadata=meta)
        for part in message.parts:
            source = Source.create(article=article, type=part.type, name=part.name,
                                   content_type=part.content_type, size=len(part.data or b""),
                                   raw_text=part.raw_text, error=part.error,
                                   metadata=part.metadata)
            if part.data:
                save_original(source.id, part.data)
        Chunk.insert_many([{"article": article.id, "user_id": user.id, "idx": i,
                            "content": c, "embedding": v}
                           for i, (c, v) in enumerate(zip(chunks, vectors, strict=True))]).execute()
        InboundEvent.set_status(event.id, "done", article_id=article.id,
                                processed_at=utcnow(), last_error=None)
    return article.id


def _finish(event_id, article_id):
    InboundEvent.set_status(event_id, "done", article_id=article_id, last_error=None)
    return article_id


def _fail(event, exc):
    """Record the failure on the event. The attempt's transaction is rolled back with
    the originals it wrote: none outlives a delivery that has no article."""
    metrics.INGEST_FAILURES.inc()
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    log.exception("ingest of event %s failed: %s", event.id, detail)
    if db.in_transaction():
        db.rollback()
    InboundEvent.set_status(event.id, "failed", last_error=detail)


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
    `processing`. RQ's retry runs it again while attempts remain (`INGEST_MAX_ATTEMPTS`);
    then it waits in `simplr events list --status failed` for a replay."""
    with db.connection_context():
        changed = (InboundEvent.update(status="failed", last_error=str(reason)[:2000],
                                       updated_at=utcnow())
                   .where((InboundEvent.id == event_id) & (InboundEvent.status == "processing"))
                   .execute())
    if changed:  # after a timeout the job's own handler may have recorded it already
        log.error("ingest of event %s abandoned: %s", event_id, reason)
