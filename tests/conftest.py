"""Shared fixtures: real PostgreSQL + pgvector, Redis and SMTP for integration tests."""
import dataclasses
import json
import os
import tempfile

import pytest

from tests.services import RedisServer, SmtpServer, fresh_database, psql_su

TABLES = ("messages", "conversations", "chunks", "sources", "articles", "inbound_events",
          "sessions", "magic_link_tokens", "users")
WEBHOOK_SECRET = "test-webhook-secret-0123456789"


@pytest.fixture(scope="session")
def database_url():
    name = f"simplr_test_{os.getpid()}"
    yield fresh_database(name)
    from app.db import db
    db.close_all()
    psql_su(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(database_url, redis_server, smtp_server):
    from app import create_app
    from app.cli import migrate_command  # noqa: F401 - imported for side effects in CLI
    from app.migrations import migrate
    application = create_app({
        "APP_ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": redis_server.url,
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port,
        "STORAGE_DIR": tempfile.mkdtemp(prefix="simplr-storage-"),
        "MAILERSEND_WEBHOOK_SECRET": WEBHOOK_SECRET, "SECRET_KEY": "test-secret-key-" * 3,
        "APP_BASE_URL": "http://simplr.test", "SIGNUP_OPEN": "true"})
    with application.app_context():
        migrate({"dimensions": 384}, log=lambda *_: None)
        yield application


@pytest.fixture
def clean(app, redis_server, smtp_server):
    """Empty tables, Redis and the SMTP inbox before a test."""
    from app.db import db
    from app.queue import connection
    if redis_server.proc is None:
        redis_server.start()
    with db.connection_context():
        db.execute_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    connection().flushdb()
    smtp_server.messages.clear()
    yield


@pytest.fixture
def client(app, clean):
    return app.test_client()


@pytest.fixture
def config(app, monkeypatch):
    """Change settings for one test: config(SIGNUP_OPEN=False)."""
    def change(**values):
        cfg = dataclasses.replace(app.extensions["simplr.config"], **values)
        monkeypatch.setitem(app.extensions, "simplr.config", cfg)
        for k, v in values.items():
            monkeypatch.setitem(app.config, k, v)
    return change


@pytest.fixture
def make_app(app):
    """make_app(**overrides): another app on the test app's database, Redis and SMTP."""
    from app import create_app
    base = dataclasses.asdict(app.extensions["simplr.config"])
    return lambda **overrides: create_app({**base, **overrides})



def sign(body):
    from app.ingest.sample import sign as hmac_sign
    return hmac_sign(body, WEBHOOK_SECRET)


def post_webhook(client, payload, signature=None, raw=None, authenticated=True):
    """POST a delivery signed with the test secret (or with `signature` if given). With
    `authenticated`, the delivery carries what MailerSend reports for a sender whose SPF
    passes (see authenticate); trust tests pass False and build their own evidence."""
    if authenticated and raw is None:
        payload = authenticate(payload)
    body = raw if raw is not None else json.dumps(payload).encode()
    sig = sign(body) if signature is None else signature
    return client.post("/webhooks/mailersend", data=body,
                       headers={"Signature": sig, "Content-Type": "application/json"})


def authenticate(payload):
    """`payload` as MailerSend posts mail whose SPF passes for the From: domain: the
    envelope sender is the From: address and spf_check.code is "+". Fields the payload
    sets itself are kept."""
    data = (payload or {}).get("data")
    if not isinstance(data, dict):
        return payload
    from app.ingest.trust import from_address
    address = from_address(data)
    evidence = {"sender": {"email": address}, "spf_check": {"code": "+", "value": "pass"}}
    return {**payload, "data": {**{k: v for k, v in evidence.items() if address}, **{
        k: v for k, v in data.items() if v is not None or k not in evidence}}}


def run_jobs(app):
    """Work every queue to empty in this process (RQ SimpleWorker, burst)."""
    from rq import SimpleWorker

    from app.queue import QUEUES, connection, queue
    worker = SimpleWorker([queue(n) for n in QUEUES], connection=connection())
    worker.work(burst=True, with_scheduler=False)
    return worker


def login(client, user):
    """Give `client` a session for `user` without the email round trip."""
    from app.auth.sessions import COOKIE, start_session
    token = start_session(user)
    client.set_cookie(COOKIE, token)
    return token


def csrf_headers(client):
    """The X-CSRF-Token header for the client's current session."""
    from app.auth.csrf import csrf_token
    from app.auth.sessions import load_user
    app = client.application
    with app.test_request_context(headers={"Cookie": _cookie_header(client)}):
        load_user()
        return {"X-CSRF-Token": csrf_token()}


def _cookie_header(client):
    from app.auth.sessions import COOKIE
    cookie = client.get_cookie(COOKIE)
    return f"{COOKIE}={cookie.value}" if cookie else ""


def pytest_collection_modifyitems(config, items):
    """Mark each test by its folder: tests/unit → unit, tests/integration → integration…"""
    for item in items:
        parts = item.path.parts
        for kind in ("unit", "integration", "browser", "infra"):
            if kind in parts:
                item.add_marker(getattr(pytest.mark, kind))
