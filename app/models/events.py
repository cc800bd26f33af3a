"""Inbound webhook deliveries, stored verbatim before any work is done on them."""
import datetime
import json

from peewee import BlobField, CharField, IntegerField, TextField

from app.models.base import BaseModel, TimestampField, utcnow

STATUSES = ("received", "processing", "done", "failed", "rejected")


class InboundEvent(BaseModel):
    provider = CharField(default="mailersend")
    provider_message_id = CharField(unique=True)
    message_id = TextField(null=True)
    sender = TextField(null=True)
    subject = TextField(null=True)
    raw_body = BlobField()
    status = CharField(default="received")
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    article_id = IntegerField(null=True)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)
    processed_at = TimestampField(null=True)

    class Meta:
        table_name = "inbound_events"

    def payload(self):
        """The delivery's JSON, decoded leniently: a stray non-UTF-8 byte must not lose it."""
        return json.loads(bytes(self.raw_body).decode("utf-8", errors="replace"))

    @classmethod
    def store(cls, provider_message_id, raw_body, message_id=None, sender=None, subject=None):
        """Insert a delivery once; returns its id, or None when it was already stored."""
        row = (cls.insert(provider_message_id=provider_message_id, raw_body=raw_body,
                          message_id=message_id, sender=sender, subject=subject,
                          status="received", created_at=utcnow(), updated_at=utcnow())
               .on_conflict_ignore().returning(cls.id).execute())
        ids = [r.id if hasattr(r, "id") else r[0] for r in row] if row is not None else []
        return ids[0] if ids else None

    @classmethod
    def set_status(cls, event_id, status, **fields):
        return (cls.update(status=status, updated_at=utcnow(), **fields)
                .where(cls.id == event_id).execute())

    @classmethod
    def stale(cls, received_for, processing_for):
        """Events accepted but not finished: never enqueued (Redis was down) or orphaned by a
        killed worker. Both are safe to enqueue again because ingest is idempotent."""
        now = utcnow()
        waiting = (cls.status == "received") & (
            cls.updated_at <= now - datetime.timedelta(seconds=received_for))
        orphaned = (cls.status == "processing") & (
            cls.updated_at <= now - datetime.timedelta(seconds=processing_for))
        return cls.select(cls.id).where(waiting | orphaned).order_by(cls.id)
