"""Faults: Redis down, the database down, a worker killed mid-job. Nothing accepted is lost."""
import os
import signal
import subprocess
import sys
import time

import pytest

from app.models import Article, Chunk, InboundEvent
from tests.conftest import post_webhook, run_jobs
from tests.factories import make_article, message, user


def test_redis_down_still_accepts_then_sweeper_processes(app, client, redis_server):
    from app.ingest.jobs import sweep_events
    redis_server.stop()
    resp = post_webhook(client, message())
    assert resp.status_code == 202
    health = client.get("/health")
    assert health.status_code == 503 and health.get_json()["failing"] == ["redis"]

    redis_server.start()
    assert sweep_events(received_for=0) == [InboundEvent.get().id]
    run_jobs(app)
    assert InboundEvent.get().status == "done"
    assert Article.select().count() == 1


@pytest.fixture
def database_down(app, clean):
    """Point the process-wide pooled database at a closed port, then restore it."""
    import dataclasses

    from app.db import db, init_db
    cfg = app.extensions["simplr.config"]
    db.close_all()
    if not db.is_closed():
        db.close()
    init_db(dataclasses.replace(cfg, DATABASE_URL="postgresql://simplr:x@127.0.0.1:1/none"))
    yield
    db.close_all()
    init_db(cfg)


def test_database_down_is_503_so_the_provider_retries(app, database_down):
    client = app.test_client()
    resp = post_webhook(client, message())
    assert resp.status_code == 503
    assert resp.headers["Retry-After"]
    health = client.get("/health").get_json()
    assert health["failing"] == ["database"] and health["redis"] == "ok"


def test_metrics_count_webhooks_and_show_queue_depth(app, client):
    post_webhook(client, message(), signature="bad")
    post_webhook(client, message())
    text = client.get("/metrics").get_data(as_text=True)
    assert 'simplr_webhooks_total{result="bad_signature"}' in text
    assert 'simplr_webhooks_total{result="accepted"}' in text
    assert 'simplr_queue_depth{queue="ingest"} 1.0' in text
    assert 'simplr_inbound_events{status="received"} 1.0' in text
    assert 'route="/webhooks/mailersend",status="202"' in text


def _start_worker(app, database_url, redis_url):
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "STORAGE_DIR": app.config["STORAGE_DIR"], "SMTP_PORT": str(app.config["SMTP_PORT"]),
           "MAILERSEND_WEBHOOK_SECRET": app.config["MAILERSEND_WEBHOOK_SECRET"],
           "SIGNUP_OPEN": "true"}
    return subprocess.Popen([sys.executable, "-m", "app", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def test_worker_killed_mid_job_event_still_ends_done_once(app, client, database_url,
                                                         redis_server):
    from app.ingest.jobs import sweep_events
    long_text = " ".join(f"Sentence {i} about glaciers retreating in the Alps and what the "
                         f"meltwater means for valley {i}." for i in range(1000))
    assert post_webhook(client, message(text=long_text)).status_code == 202
    worker = _start_worker(app, database_url, redis_server.url)
    try:
        deadline = time.monotonic() + 60
        while InboundEvent.get().status != "processing" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert InboundEvent.get().status == "processing"
    finally:  # the worker and its work horse (RQ puts it in a process group of its own)
        for pid in [*_children(worker.pid), worker.pid]:
            os.kill(pid, signal.SIGKILL)
        worker.wait()
    assert Article.select().count() == 0
    _wait_for_lock_release()  # PostgreSQL ends the killed worker's session, and its lock

    assert sweep_events(received_for=0, processing_for=0) == [InboundEvent.get().id]
    run_jobs(app)
    assert InboundEvent.get().status == "done"
    assert Article.select().count() == 1
    assert Chunk.select().count() > 10


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


def _wait_for_lock_release(timeout=10):
    from app.db import db
    deadline = time.monotonic() + timeout
    sql = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
    while db.execute_sql(sql).fetchone()[0] and time.monotonic() < deadline:
        time.sleep(0.05)


def test_edit_while_redis_is_down_is_reindexed_by_the_sweeper(app, client, redis_server):
    from app.articles.service import update
    from app.ingest.jobs import sweep_events
    article = make_article(user())
    redis_server.stop()
    update(article, {"text": "Seagrass meadows store carbon for millennia. " * 30})
    assert Article.get_by_id(article.id).metadata["reindex_pending"] is True
    redis_server.start()
    sweep_events(received_for=0, processing_for=0)
    run_jobs(app)
    assert Article.get_by_id(article.id).metadata["reindex_pending"] is False
    assert all("Seagrass" in c.content for c in Chunk.select().where(Chunk.article == article.id))
