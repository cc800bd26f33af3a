"""POST /webhooks/mailersend: verify, store durably, answer fast; the worker does the rest."""
import hashlib
import hmac
import logging

import peewee
from flask import Blueprint, current_app, jsonify, request

from app import metrics
from app.ingest.jobs import ingest_event
from app.ingest.payload import InvalidPayload, parse_delivery
from app.models import InboundEvent
from app.queue import try_enqueue

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


def init_app(app):
    """Say at start-up who may write into libraries; `open` loudly, it trusts From: as is."""
    cfg = app.extensions["simplr.config"]
    if cfg.INBOUND_SENDER_POLICY == "open":
        log.warning("INBOUND_SENDER_POLICY=open: inbound mail is filed under its From: address "
                    "without proof; anyone can write into an existing user's library")
    else:
        log.info("inbound sender policy %s, %d allow-list entries", cfg.INBOUND_SENDER_POLICY,
                 len(cfg.INBOUND_ALLOWED_SENDERS))


def signature_ok(raw, signature, secret):
    """Lower-case hex HMAC-SHA256 of the raw body, compared in constant time."""
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, (signature or "").strip().lower())


def _answer(status, reason, **body):
    metrics.WEBHOOKS.labels(result=reason).inc()
    level = logging.INFO if status < 400 else logging.WARNING
    log.log(level, "webhook %s: %s", status, reason, extra={"reason": reason, **body})
    return jsonify(status=reason, **body), status


@bp.post("/webhooks/mailersend")
def mailersend():
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH raises 413 here
    secret = current_app.config["MAILERSEND_WEBHOOK_SECRET"]
    if not signature_ok(raw, request.headers.get("Signature"), secret):
        return _answer(401, "bad_signature", error="missing or invalid Signature header")
    try:
        delivery = parse_delivery(raw)
    except InvalidPayload as exc:
        return _reject(raw, exc)
    if delivery is None:
        return _answer(200, "test")
    try:
        event_id = InboundEvent.store(raw_body=raw, **delivery)
    except (peewee.OperationalError, peewee.InterfaceError) as exc:
        log.error("database unavailable, webhook refused for retry: %s", exc)
        return _retry_later()
    if event_id is None:
        return _answer(200, "duplicate", id=delivery["provider_message_id"])
    try_enqueue(ingest_event, event_id, queue_name="ingest", job_id=f"ingest-{event_id}")
    return _answer(202, "accepted", event_id=event_id)


def _reject(raw, exc):
    """Signed but unusable: kept as `rejected` all the same (raw body byte for byte), under
    its data.id or, when it has none, its digest, so ops can see it and nothing is lost."""
    key = exc.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    try:
        event_id = InboundEvent.store(key, raw)
        if event_id:
            InboundEvent.set_status(event_id, "rejected", last_error=str(exc)[:2000])
    except peewee.PeeweeException as db_exc:
        log.error("database unavailable, rejected delivery refused for retry: %s", db_exc)
        return _retry_later()
    return _answer(400, exc.reason, error=str(exc))


def _retry_later():
    """503: the provider retries, so a delivery the database could not take is not lost."""
    metrics.WEBHOOKS.labels(result="db_unavailable").inc()
    return jsonify(error="database unavailable, retry later"), 503, {"Retry-After": "30"}
