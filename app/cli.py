"""Ops commands: `simplr migrate|worker|events|send-sample|import|users|reembed|mailsink`."""
import click
from flask import current_app
from flask.cli import with_appcontext

from app import migrations
from app.config import current as current_config
from app.providers import embedding_dimensions


@click.command("migrate")
@with_appcontext
def migrate_command():
    """Apply pending database migrations (a no-op when up to date)."""
    dims = embedding_dimensions(current_config())
    done = migrations.migrate({"dimensions": dims}, log=click.echo)
    click.echo(f"{len(done)} migration(s) applied; schema is up to date.")


@click.command("worker")
@click.option("--with-scheduler", is_flag=True, help="Run retries and the periodic sweep.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker_command(with_scheduler, burst):
    """Run an RQ worker on the ingest, mail and default queues."""
    from app import worker
    worker.run(current_app._get_current_object(), with_scheduler, burst)


def init_app(app):
    from app.cli_events import events, import_command, send_sample_command
    from app.cli_users import mailsink_command, reembed_command, users
    for cmd in (migrate_command, worker_command, events, send_sample_command, import_command,
                users, reembed_command, mailsink_command):
        app.cli.add_command(cmd)
