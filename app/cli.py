"""Ops commands: `simplr migrate|worker|events|send-sample|import|users|reembed|mailsink`."""
import json

import click
from flask import current_app
from flask.cli import with_appcontext

from app import migrations
from app.config import current as current_config
from app.providers import embedding_dimensions
from app.queue import QUEUES, WORKER_QUEUES


@click.command("migrate")
@click.option("--plan", is_flag=True,
              help="Apply nothing: list the pending migrations, one JSON object a line, with "
                   "whether the previous release can run on the schema they leave.")
@with_appcontext
def migrate_command(plan):
    """Apply pending database migrations (a no-op when up to date)."""
    if plan:
        for version, name, runs in migrations.pending():
            click.echo(json.dumps({"version": version, "name": name,
                                   "previous_release_runs": runs}))
        return
    dims = embedding_dimensions(current_config())
    done = migrations.migrate({"dimensions": dims}, log=click.echo)
    click.echo(f"{len(done)} migration(s) applied; schema is up to date.")


def _queue_names(ctx, param, value):
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in QUEUES]
    if unknown or not names:
        raise click.BadParameter(f"expected some of {', '.join(QUEUES)}, got {value!r}")
    return names


@click.command("worker")
@click.option("--queues", default=",".join(WORKER_QUEUES), show_default=True, callback=_queue_names,
              help="Comma-separated queues to work, in priority order. Run mail in a worker "
                   "of its own (--queues mail) so login links never wait behind ingest.")
@click.option("--with-scheduler", is_flag=True,
              help="Run retries of these queues (and, with ingest, the periodic sweep).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker_command(queues, with_scheduler, burst):
    """Run an RQ worker on the given queues."""
    from app import worker
    worker.run(current_app._get_current_object(), queues, with_scheduler, burst)


def init_app(app):
    from app.cli_events import events, send_sample_command
    from app.cli_held import held_group
    from app.cli_import import import_command
    from app.cli_users import mailsink_command, reembed_command, users
    for cmd in (migrate_command, worker_command, events, send_sample_command, import_command,
                held_group, users, reembed_command, mailsink_command):
        app.cli.add_command(cmd)
