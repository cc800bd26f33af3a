"""Ops commands: create users, re-embed after a model change, run the local mail sink."""
import time

import click
from flask.cli import with_appcontext
from peewee import fn

from app.config import current as current_config
from app.db import db
from app.models import Article, Chunk, InboundEvent, MagicLinkToken, Session, User, normalise_email
from app.models.base import utcnow
from app.providers import embedding_dimensions, get_embedder


@click.group("users")
def users():
    """Manage users (when open sign-up is off, users come from inbound email or here)."""


@users.command("create")
@click.argument("email")
@click.option("--name", default=None)
@with_appcontext
def create_user(email, name):
    """Create a user (idempotent) so they can log in."""
    with db.connection_context():
        try:
            user = User.get_or_create_by_email(email, name)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    click.echo(f"user {user.id}: {user.email}")


@users.command("list")
@with_appcontext
def list_users():
    """Every user: id, address, articles, held deliveries, last login, disabled or not."""
    with db.connection_context():
        articles = dict(Article.select(Article.user, fn.COUNT(Article.id))
                        .group_by(Article.user).tuples())
        for u in User.select().order_by(User.id):
            held = InboundEvent.held_for(u.email).count()
            state = f"disabled {u.disabled_at:%Y-%m-%d}" if u.disabled_at else "active"
            login = f"{u.last_login_at:%Y-%m-%d}" if u.last_login_at else "never"
            click.echo(f"{u.id:>5} {u.email:<36} articles={articles.get(u.id, 0):<6} "
                       f"held={held:<4} last_login={login:<10} {state}")


@users.command("disable")
@click.argument("email")
@with_appcontext
def disable_user(email):
    """No login (sessions and login links revoked) and their inbound mail is held."""
    with db.connection_context(), db.atomic():
        user = _existing(email)
        User.update(disabled_at=utcnow()).where(User.id == user.id).execute()
        Session.delete().where(Session.user == user.id).execute()
        MagicLinkToken.delete().where(MagicLinkToken.user == user.id).execute()
    click.echo(f"disabled {user.email}")


@users.command("enable")
@click.argument("email")
@with_appcontext
def enable_user(email):
    """Undo disable: the user can log in again and their mail is filed."""
    with db.connection_context():
        user = _existing(email)
        User.update(disabled_at=None).where(User.id == user.id).execute()
    click.echo(f"enabled {user.email}")


def _existing(email):
    user = User.get_or_none(User.email == (normalise_email(email) or ""))
    if user is None:
        raise click.ClickException(f"no user {email}")
    return user


def column_dimensions():
    row = db.execute_sql("SELECT atttypmod FROM pg_attribute WHERE attrelid = 'chunks'::regclass "
                         "AND attname = 'embedding'").fetchone()
    return row[0]


def resize_vector_column(dims):
    """Change the embedding column to `dims` (dropping vectors of the old model)."""
    with db.atomic():
        db.execute_sql("DROP INDEX IF EXISTS chunks_embedding_hnsw")
        db.execute_sql(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({int(dims)}) "
                       "USING NULL")
        db.execute_sql("CREATE INDEX chunks_embedding_hnsw ON chunks "
                       "USING hnsw (embedding vector_cosine_ops)")


@click.command("reembed")
@click.option("--batch", default=64, show_default=True)
@with_appcontext
def reembed_command(batch):
    """Re-embed every chunk with the configured model (after changing EMBEDDING_MODEL)."""
    cfg = current_config()
    embedder, dims = get_embedder(cfg), embedding_dimensions(cfg)
    started, done = time.monotonic(), 0
    with db.connection_context():
        if column_dimensions() != dims:
            click.echo(f"resizing chunks.embedding to vector({dims})")
            resize_vector_column(dims)
        last = 0
        while rows := list(Chunk.select(Chunk.id, Chunk.content).where(Chunk.id > last)
                           .order_by(Chunk.id).limit(batch)):
            vectors = embedder.embed([r.content for r in rows])
            with db.atomic():
                for r, v in zip(rows, vectors, strict=True):
                    Chunk.update(embedding=v).where(Chunk.id == r.id).execute()
            last, done = rows[-1].id, done + len(rows)
            click.echo(f"re-embedded {done} chunks ({done / (time.monotonic() - started):.1f}/s)")
    click.echo(f"done: {done} chunks with {embedder.name} ({dims} dims)")


@click.command("mailsink")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True)
def mailsink_command(host, port):
    """A local SMTP server that prints every message it receives (the dev default)."""
    from app.mail.sink import serve
    serve(host, port)
