"""Real worker processes (`python -m app worker ...`): mail has a worker of its own, so a
login link never waits behind a slow ingest; an ingest job whose work horse is killed or
runs past its timeout ends `failed`, not `processing`."""
import contextlib
import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import Worker
from rq.scheduler import RQScheduler

from app.ingest.jobs import ingest_event
from app.models import InboundEvent, Source, User
from app.queue import connection, enqueue, queue
from tests.conftest import post_webhook
from tests.factories import message, request_link
from tests.hostile_pdfs import attachment, pdf_bomb
from tests.jobs_for_tests import sleep_for

REPO = Path(__file__).resolve().parents[2]
LONG_TEXT = " ".join(f"Sentence {i} about glaciers retreating in the Alps and what the "
                     f"meltwater means for valley {i}." for i in range(3000))


def _until(probe, timeout=30, interval=0.05):
    deadline = time.monotonic() + timeout
    while not (value := probe()) and time.monotonic() < deadline:
        time.sleep(interval)
    return value


@pytest.fixture
def start_worker(app, database_url, redis_server, clean, tmp_path):
    """start_worker(*args, **env): a worker process on the test database, Redis and SMTP,
    registered with RQ and idle. Killed, with its work horse, at the end of the test."""
    procs = []
    base = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url,
            "REDIS_URL": redis_server.url, "STORAGE_DIR": app.config["STORAGE_DIR"],
            "SMTP_PORT": str(app.config["SMTP_PORT"]), "SIGNUP_OPEN": "true",
            "INBOUND_ALLOWED_SENDERS": "@example.com",  # the test messages' senders
            "MAILERSEND_WEBHOOK_SECRET": app.config["MAILERSEND_WEBHOOK_SECRET"]}

    def start(*args, **env):
        log = tmp_path / f"worker-{len(procs) + 1}.log"
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "app", "worker", *args], cwd=REPO,
                                    env={**base, **env}, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(proc)
        ready = _until(lambda: proc.poll() is not None
                       or len(Worker.all(connection=connection())) == len(procs), 60)
        assert ready and proc.poll() is None, log.read_text()[-3000:]
        return proc

    yield start
    for proc in procs:  # the work horse first: RQ puts it in a process group of its own
        for pid in _descendants(proc.pid):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):  # a test may have killed it already
            os.killpg(proc.pid, signal.SIGKILL)  # the worker and its scheduler
        proc.wait()


def _descendants(pid):
    """Every process under `pid` (work horse, extraction children), deepest last."""
    try:
        children = [int(c) for c in
                    Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return [p for c in children for p in (c, *_descendants(c))]


def _rss_mb(pids):
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += int(next((line.split()[1] for line in status.splitlines()
                           if line.startswith("VmRSS:")), 0))
    return total / 1024


def _horse(worker):
    """The pid of the work horse the worker forked for its current job."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    return int(children[0]) if children else None


def test_login_link_is_mailed_while_every_ingest_worker_is_busy(client, start_worker,
                                                                smtp_server):
    User.get_or_create_by_email("ann@example.com")
    start_worker()  # ingest,default: the single ingest worker
    start_worker("--queues", "mail")
    slow = enqueue(sleep_for, 60, queue_name="ingest", retries=0)
    assert _until(lambda: slow.get_status(refresh=True) == "started")

    asked = time.monotonic()
    assert request_link(client, "ann@example.com").status_code == 200
    delivered = smtp_server.wait_for(1, timeout=5)
    took = time.monotonic() - asked
    assert [m["To"] for m in delivered] == ["ann@example.com"], f"nothing after {took:.1f} s"
    assert took < 5
    assert slow.get_status(refresh=True) == "started"  # ingest was busy all along
    print(f"login link delivered {took:.2f} s after POST /login, ingest worker busy")


def test_each_worker_schedules_retries_of_its_own_queues(start_worker):
    start_worker("--with-scheduler")
    start_worker("--queues", "mail", "--with-scheduler")
    holders = {}

    def locked():
        holders.update({q: connection().get(RQScheduler.get_locking_key(q))
                        for q in ("ingest", "default", "mail")})
        return all(holders.values())
    assert _until(locked, 30), holders
    assert holders["ingest"] == holders["default"] != holders["mail"]


def test_ingest_job_whose_horse_is_killed_ends_failed(client, start_worker):
    assert post_webhook(client, message(text=LONG_TEXT)).status_code == 202
    worker = start_worker("--queues", "ingest")
    assert _until(lambda: InboundEvent.get().status == "processing", 60)
    horse = _horse(worker)
    os.kill(horse, signal.SIGKILL)  # as the kernel's OOM killer would

    assert _until(lambda: InboundEvent.get().status != "processing", 30)
    event = InboundEvent.get()
    assert event.status == "failed", event.last_error
    assert event.last_error.startswith("work horse killed by SIGKILL after ")
    assert worker.poll() is None  # the worker itself carries on


def test_ingest_job_past_its_timeout_ends_failed(client, start_worker):
    assert post_webhook(client, message(text=LONG_TEXT)).status_code == 202
    event_id = InboundEvent.get().id
    queue("ingest").empty()  # queue it again as the webhook did, with a tiny timeout
    queue("ingest").enqueue(ingest_event, event_id, job_id=f"ingest-{event_id}", job_timeout=1)
    start_worker("--queues", "ingest")

    assert _until(lambda: InboundEvent.get().status == "failed", 60)
    event = InboundEvent.get()
    assert "timeout" in event.last_error.lower(), event.last_error
    assert event.attempts == 1


def test_a_pdf_bomb_settles_in_seconds_in_bounded_memory_and_others_wait_little(
        client, start_worker):
    """Issue #10's bomb, four times in one message, then another user's plain delivery
    queued behind it on the one ingest worker. The worker's whole process tree (worker,
    work horse, extraction children) is sampled for its resident memory."""
    bombs = [attachment(f"bomb-{i}.pdf", "application/pdf", pdf_bomb()) for i in range(4)]
    assert post_webhook(client, message(id="bomb", attachments=bombs)).status_code == 202
    assert post_webhook(client, message(id="plain", subject="Seagrass", **{
        "from": {"email": "bob@example.com"}})).status_code == 202
    posted = time.monotonic()
    worker = start_worker("--queues", "ingest")
    peak, settled = 0.0, {}
    while len(settled) < 2 and time.monotonic() - posted < 120:
        peak = max(peak, _rss_mb([worker.pid, *_descendants(worker.pid)]))
        for e in InboundEvent.select().where(InboundEvent.status.in_(("done", "failed"))):
            settled.setdefault(e.provider_message_id, time.monotonic() - posted)
        time.sleep(0.02)
    print(f"bomb settled after {settled.get('bomb', 0):.1f} s, the plain delivery after "
          f"{settled.get('plain', 0):.1f} s; worker tree peak RSS {peak:.0f} MB")
    assert InboundEvent.get(InboundEvent.provider_message_id == "bomb").status == "done"
    assert settled["bomb"] < 30 and settled["plain"] < 60  # the message budget is 90 s
    assert peak < 1024
    errors = [s.error for s in Source.select().where(Source.type == "pdf")]
    assert len(errors) == 4 and all(errors), errors  # each bomb part says why


def test_health_needs_a_live_worker_on_every_listed_queue(client, config, start_worker):
    config(HEALTH_WORKER_QUEUES=("ingest", "mail"))
    assert _health(client) == (503, "no live worker for ingest, mail")
    start_worker()
    assert _health(client) == (503, "no live worker for mail")
    mail = start_worker("--queues", "mail")
    assert _health(client) == (200, "ok")
    # Killed outright, a worker stays registered until its key expires; its heartbeat
    # goes stale first. Age it as a minute and a half of silence would.
    os.killpg(mail.pid, signal.SIGKILL)
    mail.wait()
    from rq.utils import utcformat
    dead = next(w for w in Worker.all(connection=connection()) if "mail" in w.queue_names())
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=90)
    connection().hset(dead.key, "last_heartbeat", utcformat(old))
    assert _health(client) == (503, "no live worker for mail")


def _health(client):
    resp = client.get("/health")
    return resp.status_code, resp.get_json()["workers"]
