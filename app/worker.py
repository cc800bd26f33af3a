"""The RQ worker process: all queues, plus (on the scheduler worker) a periodic sweep."""
import logging
import threading

import redis
from rq import Queue, Worker

from app.db import db
from app.ingest.jobs import sweep_events
from app.queue import QUEUES, enqueue, worker_connection

log = logging.getLogger(__name__)
SWEEP_EVERY = 60


class SimplrWorker(Worker):
    def perform_job(self, job, queue):
        """Close pooled connections after each job: the work horse is about to exit."""
        try:
            return super().perform_job(job, queue)
        finally:
            db.close_all()


def _sweeper(stop):
    """Enqueue the sweep job now and every minute. Only Redis is touched here: the worker
    forks for each job, and a database connection open in the parent would leak into it."""
    while not stop.is_set():
        try:
            enqueue(sweep_events, queue_name="ingest", job_id="sweep-events", retries=0)
        except redis.RedisError as exc:
            log.warning("sweep not scheduled, Redis unavailable: %s", exc)
        stop.wait(SWEEP_EVERY)


def run(app, with_scheduler=False, burst=False):
    """Work the queues until stopped (or until empty with burst)."""
    with app.app_context():
        stop = threading.Event()
        if with_scheduler and not burst:
            threading.Thread(target=_sweeper, args=(stop,), daemon=True).start()
        conn = worker_connection()
        worker = SimplrWorker([Queue(n, connection=conn) for n in QUEUES], connection=conn)
        try:
            worker.work(with_scheduler=with_scheduler, burst=burst,
                        logging_level=app.config["LOG_LEVEL"].upper())
        finally:
            stop.set()
