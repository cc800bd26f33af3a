"""The RQ worker process: the queues it is given (mail has a worker of its own), plus, on
the scheduler worker of the ingest queue, a periodic sweep. An ingest job whose work horse
dies or times out is recorded as failed instead of being left `processing`."""
import logging
import os
import signal
import threading

import redis
from rq import Queue, Worker
from rq.timeouts import JobTimeoutException

from app.db import db
from app.ingest.jobs import abandon_event, ingest_event, sweep_events
from app.queue import WORKER_QUEUES, enqueue, worker_connection

log = logging.getLogger(__name__)
SWEEP_EVERY = 60
# RQ refreshes an idle worker's heartbeat every TTL - 15 s (and every 30 s during a job):
# /health calls a worker dead when its heartbeat is older than HEARTBEAT_STALE.
WORKER_TTL = 30
HEARTBEAT_STALE = 2 * WORKER_TTL
INGEST_JOB = f"{ingest_event.__module__}.{ingest_event.__name__}"


class SimplrWorker(Worker):
    def perform_job(self, job, queue):
        """Close pooled connections after each job: the work horse is about to exit."""
        try:
            return super().perform_job(job, queue)
        finally:
            db.close_all()

    def handle_exception(self, job, *exc_info):
        """In the work horse. The timeout can strike anywhere in the job, even outside its
        own error handling, so make sure the event does not stay `processing`."""
        if isinstance(exc_info[1], JobTimeoutException):
            _abandon(job, f"job timed out after {job.timeout} s: {exc_info[1]}")
        super().handle_exception(job, *exc_info)

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        """In the worker: the horse died without a word (SIGKILL, out of memory, or killed
        by RQ's monitor long past its timeout)."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        _abandon(job, _death_reason(job, ret_val))
        db.close_all()  # the next horse is forked from here: it must not share a connection


def _abandon(job, reason):
    """Mark the event of an ingest job failed; other jobs are idempotent and need nothing.
    Never raises: this runs in the worker's own loop, and the sweeper is the fallback."""
    try:
        if job.func_name == INGEST_JOB:
            abandon_event(job.args[0], reason)
    except Exception:
        log.exception("could not record job %s as failed (%s)", job.id, reason)


def _death_reason(job, status):
    """'work horse killed by SIGKILL after 3 s', with the timeout when it was past it."""
    if status is not None and os.WIFSIGNALED(status):
        how = f"killed by {_signal_name(os.WTERMSIG(status))}"
    else:
        how = f"exited with status {os.WEXITSTATUS(status) if status is not None else '?'}"
    if not (job.started_at and job.ended_at):
        return f"work horse {how}"
    took = (job.ended_at - job.started_at).total_seconds()
    past = f" (timeout {job.timeout} s)" if job.timeout and took > job.timeout else ""
    return f"work horse {how} after {took:.0f} s{past}"


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _sweeper(stop):
    """Enqueue the sweep job now and every minute. Only Redis is touched here: the worker
    forks for each job, and a database connection open in the parent would leak into it."""
    while not stop.is_set():
        try:
            enqueue(sweep_events, queue_name="ingest", job_id="sweep-events", retries=0)
        except redis.RedisError as exc:
            log.warning("sweep not scheduled, Redis unavailable: %s", exc)
        stop.wait(SWEEP_EVERY)


def live_queues(conn, now):
    """Names of the queues that a worker with a fresh heartbeat is working."""
    live = set()
    for worker in Worker.all(connection=conn):
        beat = worker.last_heartbeat
        if beat and (now - beat.replace(tzinfo=now.tzinfo)).total_seconds() <= HEARTBEAT_STALE:
            live.update(worker.queue_names())
    return live


def run(app, queues=WORKER_QUEUES, with_scheduler=False, burst=False):
    """Work `queues` in order until stopped (or until empty with burst). The scheduler
    (retries) covers only the queues worked here; the sweep runs where ingest is worked."""
    with app.app_context():
        stop = threading.Event()
        if with_scheduler and not burst and "ingest" in queues:
            threading.Thread(target=_sweeper, args=(stop,), daemon=True).start()
        conn = worker_connection()
        worker = SimplrWorker([Queue(n, connection=conn) for n in queues], connection=conn,
                              worker_ttl=WORKER_TTL)
        try:
            worker.work(with_scheduler=with_scheduler, burst=burst,
                        logging_level=app.config["LOG_LEVEL"].upper())
        finally:
            stop.set()
