"""Releasing and dropping held deliveries: shared by the `simplr held` CLI and /held."""
import logging

from app.ingest.jobs import ingest_event
from app.models import InboundEvent
from app.queue import try_enqueue

log = logging.getLogger(__name__)


def held(event_id, address=None):
    """The held event `event_id` (only when its From: is `address`, if given), or None."""
    query = InboundEvent.select().where((InboundEvent.id == event_id)
                                        & (InboundEvent.status == "held"))
    return query.where(InboundEvent.sender == address).first() if address else query.first()


def release(event, user, by):
    """File held `event` under `user` (no confirmation mail: a person chose to file it)."""
    (InboundEvent.update(status="received", owner_id=user.id, attempts=0, last_error=None,
                         hold_reason=f"released to {user.email} by {by}")
     .where((InboundEvent.id == event.id) & (InboundEvent.status == "held")).execute())
    log.info("held event %s released to user %s by %s", event.id, user.id, by)
    try_enqueue(ingest_event, event.id, queue_name="ingest", job_id=f"ingest-{event.id}")


def drop(event, by):
    """Never file held `event`; it stays stored (as `rejected`) so a re-delivery dedupes."""
    (InboundEvent.update(status="rejected", last_error=f"dropped by {by}")
     .where((InboundEvent.id == event.id) & (InboundEvent.status == "held")).execute())
    log.info("held event %s dropped by %s", event.id, by)
