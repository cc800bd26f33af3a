"""`simplr import --user you@example.com FILES…`: file a mailbox under the person importing.

Every message goes under that user, whoever its From: is (kept in the article's metadata),
and nobody is mailed. Each message is stored as an inbound event first (raw, durable, deduped
on its content digest and Message-ID), then ingested in this process within the same limits
as webhook mail. A failed message stays listed by `simplr events list --status failed`.
"""
import hashlib
import mailbox
import os
from dataclasses import dataclass, field

import click
from flask.cli import with_appcontext

from app.db import db
from app.ingest.jobs import ingest_event
from app.ingest.payload import message_id_of, sender_of
from app.ingest.sample import encode, payload_from_message
from app.models import InboundEvent, User


@dataclass
class Tally:
    imported: int = 0
    duplicates: int = 0
    failed: list = field(default_factory=list)  # (where, reason)


def mailbox_of(path):
    """A Maildir, an mbox, or None for a single .eml file."""
    if os.path.isdir(path):
        return mailbox.Maildir(path, factory=None, create=False)
    with open(path, "rb") as fh:
        return mailbox.mbox(path, create=False) if fh.read(5) == b"From " else None


def messages(path, box):
    """(where, raw bytes) of each message, read one at a time: a mailbox may be large."""
    if box is None:
        with open(path, "rb") as fh:
            yield path, fh.read()
        return
    for i, key in enumerate(box.keys()):
        yield f"{path}#{i}", box.get_bytes(key)


def store(raw, owner):
    """The event id for `raw` filed under `owner`, or None when it was imported before."""
    digest = hashlib.sha256(raw).hexdigest()
    payload = payload_from_message(raw, message_id=f"import-{digest[:32]}")
    data = payload["data"]
    return InboundEvent.store(f"import:{digest}", encode(payload), message_id_of(data),
                              sender_of(data), str(data.get("subject") or "")[:500],
                              owner_id=owner.id)


def import_one(where, raw, owner, tally):
    try:
        event_id = store(raw, owner)
    except Exception as exc:  # noqa: BLE001 - a message the parser cannot read is reported
        tally.failed.append((where, f"unreadable: {type(exc).__name__}: {exc}"[:300]))
        return
    if event_id is None:
        tally.duplicates += 1
        return
    try:
        ingest_event(event_id)
    except Exception:  # noqa: BLE001 - recorded on the event (attempts, last error)
        pass
    event = InboundEvent.get_by_id(event_id)
    if event.status == "done":
        tally.imported += 1
    else:
        tally.failed.append((where, (event.last_error or event.status).splitlines()[-1][:300]))


@click.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True), required=True)
@click.option("--user", "address", required=True, help="File every message under this user.")
@with_appcontext
def import_command(paths, address):
    """Import .eml files, mbox mailboxes and Maildirs into one user's library."""
    with db.connection_context():
        try:
            owner = User.get_or_create_by_email(address)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--user") from None
    boxes = [(path, mailbox_of(path)) for path in paths]
    total = sum(1 if box is None else len(box) for _, box in boxes)
    found = (m for path, box in boxes for m in messages(path, box))
    tally = Tally()
    try:
        with click.progressbar(found, length=total, label=f"importing for {owner.email}",
                               item_show_func=lambda m: m and m[0][-40:]) as bar:
            for where, raw in bar:
                with db.connection_context():
                    import_one(where, raw, owner, tally)
    finally:
        for _, box in boxes:
            box is not None and box.close()
    _summary(tally)


def _summary(tally):
    click.echo(f"imported {tally.imported}, duplicates {tally.duplicates}, "
               f"failed {len(tally.failed)}")
    for where, reason in tally.failed[:50]:
        click.echo(f"  failed {where}: {reason}")
    if len(tally.failed) > 50:
        click.echo(f"  … and {len(tally.failed) - 50} more (simplr events list --status failed)")
