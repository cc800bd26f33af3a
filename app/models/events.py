"""Inbound webhook deliveries, stored verbatim before any work is done on them."""
import datetime
import json

from peewee import BlobField, IntegerField

from app.models.base import BaseModel, SafeCharField, SafeTextField, TimestampField, utcnow

STATUSES = ("received", "processing", "done", "failed", "rejected", "held")
LOCK_SPACE = 7_150_002 << 32  # advisory-lock keys of events: this plus the event id


class InboundEvent(BaseModel):
    provider = SafeCharField(default="mailersend")
    provider_message_id = SafeCharField(unique=True)
    message_id = SafeTextField(null=True)
    sender = SafeTextField(null=True)  # the From: address, proven or not
    subject = SafeTextField(null=True)
    raw_body = BlobField()
    status = SafeCharField(default="received")
    attempts = IntegerField(default=0)
    last_error = SafeTextField(null=True)
    hold_reason = SafeTextField(null=True)  # why a `held` delivery was not filed
    owner_id = IntegerField(null=True)  # set by import or release: file under this user
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
    def store(cls, provider_message_id, raw_body, message_id=None, sender=None, subject=None,
              owner_id=None):
        """Insert a delivery once; returns its id, or None when it was already stored."""
        row = (cls.insert(provider_message_id=provider_message_id, raw_body=raw_body,
                          message_id=message_id, sender=sender, subject=subject,
                          owner_id=owner_id, status="received", created_at=utcnow(),
                          updated_at=utcnow())
               .on_conflict_ignore().returning(cls.id).execute())
        ids = [r.id if hasattr(r, "id") else r[0] for r in row] if row is not None else []
        return ids[0] if ids else None

    @classmethod
    def set_status(cls, event_id, status, **fields):
        return (cls.update(status=status, updated_at=utcnow(), **fields)
                .where(cls.id == event_id).execute())

    @classmethod
    def lock(cls, event_id):
        """Try the event's session advisory lock: one worker per event at a time. It is
        released by unlock(), or by PostgreSQL when a killed worker's connection drops."""
        sql = "SELECT pg_try_advisory_lock(%s)"
        return cls._meta.database.execute_sql(sql, (LOCK_SPACE + event_id,)).fetchone()[0]

    @classmethod
    def unlock(cls, event_id):
        cls._meta.database.execute_sql("SELECT pg_advisory_unlock(%s)", (LOCK_SPACE + event_id,))

    @classmethod
    def held_for(cls, address):
        """Held deliveries whose From: is `address`, newest first."""
        return (cls.select().where((cls.status == "held") & (cls.sender == address))
                .order_by(cls.id.desc()))

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
