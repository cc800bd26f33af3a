"""Ops commands over inbound events: list, replay, sweep; and posting test deliveries."""
import urllib.request
import uuid

import click
from flask import current_app
from flask.cli import with_appcontext

from app.db import db
from app.ingest.jobs import ingest_event, sweep_events
from app.ingest.sample import SAMPLE, encode, payload_from_message, sign
from app.models import STATUSES, InboundEvent
from app.queue import enqueue


@click.group("events")
def events():
    """Inspect and replay inbound webhook events."""


@events.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def list_events(status, limit):
    """List recent events (optionally of one status) with attempts and last error."""
    with db.connection_context():
        q = InboundEvent.select().order_by(InboundEvent.id.desc()).limit(limit)
        if status:
            q = q.where(InboundEvent.status == status)
        for e in q:
            error = (e.last_error or "").splitlines()[-1:] or [""]
            click.echo(f"{e.id:>6} {e.status:<10} attempts={e.attempts} {e.sender or '-':<30} "
                       f"{(e.subject or '')[:40]!r} {error[0][:80]}")


@events.command("replay")
@click.argument("event_id", type=int, required=False)
@click.option("--all-failed", is_flag=True, help="Replay every failed event.")
@with_appcontext
def replay(event_id, all_failed):
    """Queue a failed event (or all of them) for ingestion again."""
    if not event_id and not all_failed:
        raise click.UsageError("give an EVENT_ID or --all-failed")
    with db.connection_context():
        q = InboundEvent.select(InboundEvent.id)
        q = q.where(InboundEvent.status == "failed") if all_failed else \
            q.where(InboundEvent.id == event_id)
        ids = [e.id for e in q]
        for i in ids:  # a person asked: the attempts start again
            InboundEvent.set_status(i, "received", attempts=0)
    for i in ids:
        enqueue(ingest_event, i, queue_name="ingest", job_id=f"ingest-{i}")
    click.echo(f"queued {len(ids)} event(s): {ids}")


@events.command("sweep")
@with_appcontext
def sweep():
    """Queue events that were accepted but never finished."""
    click.echo(f"queued {len(sweep_events())} event(s)")


def post(url, payload, secret):
    body = encode(payload)
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Signature": sign(body, secret)})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _url(url):
    return url or current_app.config["APP_BASE_URL"].rstrip("/") + "/webhooks/mailersend"


@click.command("send-sample")
@click.option("--url", help="Webhook URL (default: APP_BASE_URL/webhooks/mailersend).")
@click.option("--sender", default="ada@example.com", show_default=True)
@with_appcontext
def send_sample_command(url, sender):
    """Post a signed sample inbound email to the webhook, as MailerSend would."""
    raw = SAMPLE.format(id=uuid.uuid4().hex).replace("ada@example.com", sender)
    payload = payload_from_message(raw, authenticated=True)
    status, text = post(_url(url), payload, _secret())
    click.echo(f"{status} {text.strip()}")


def _secret():
    return current_app.config["MAILERSEND_WEBHOOK_SECRET"]
