"""`simplr held list|release|drop`: mail stored but not filed, because its sender was not
proven (INBOUND_SENDER_POLICY), had no account, or is disabled."""
import click
from flask.cli import with_appcontext

from app.db import db
from app.held.service import drop, held, release
from app.models import InboundEvent, User


@click.group("held")
def held_group():
    """List, release or drop held deliveries."""


@held_group.command("list")
@click.option("--sender", default=None, help="Only deliveries from this From: address.")
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def list_held(sender, limit):
    """Held deliveries, newest first, with the reason each was held."""
    with db.connection_context():
        query = InboundEvent.select().where(InboundEvent.status == "held")
        if sender:
            query = query.where(InboundEvent.sender == sender.strip().lower())
        for e in query.order_by(InboundEvent.id.desc()).limit(limit):
            click.echo(f"{e.id:>6} {e.created_at:%Y-%m-%d %H:%M} {e.sender or '-':<30} "
                       f"{(e.subject or '')[:40]!r}  {e.hold_reason or ''}")


@held_group.command("release")
@click.argument("event_id", type=int)
@click.option("--to", "to", default=None,
              help="File under this user (default: the From: address, created if needed).")
@with_appcontext
def release_held(event_id, to):
    """File a held delivery in its owner's library (no confirmation email is sent)."""
    with db.connection_context():
        event = held(event_id)
        if event is None:
            raise click.ClickException(f"no held delivery {event_id}")
        try:
            user = User.get_or_create_by_email(to or event.sender or "")
        except ValueError as exc:
            raise click.ClickException(f"{exc}; give --to ADDRESS") from None
        release(event, user, "ops")
    click.echo(f"released {event_id} to {user.email}")


@held_group.command("drop")
@click.argument("event_id", type=int)
@with_appcontext
def drop_held(event_id):
    """Never file a held delivery (it stays stored as `rejected`)."""
    with db.connection_context():
        event = held(event_id)
        if event is None:
            raise click.ClickException(f"no held delivery {event_id}")
        drop(event, "ops")
    click.echo(f"dropped {event_id}")
