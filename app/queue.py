"""The job queues: one Redis connection, named queues, and the single enqueue helper that
sets timeout, retry with backoff and TTLs for every job."""
import logging

import redis
from rq import Queue, Retry

log = logging.getLogger(__name__)
QUEUES = ("ingest", "mail", "default")
# What `simplr worker` works unless told otherwise. Mail has a worker of its own
# (`--queues mail`) so a login link never waits behind a slow ingest.
WORKER_QUEUES = ("ingest", "default")
RETRY_INTERVALS = [10, 60, 300, 900, 3600]
_state = {}


def init_app(app):
    init_queue(app.extensions["simplr.config"])


def init_queue(config):
    _state["config"] = config
    _state["redis"] = redis.Redis.from_url(config.REDIS_URL, socket_connect_timeout=2,
                                           socket_timeout=5, health_check_interval=30)
    return _state["redis"]


def connection():
    return _state["redis"]


def worker_connection():
    """Workers block on BLPOP for minutes: no socket timeout, or they would quit."""
    return redis.Redis.from_url(_state["config"].REDIS_URL, socket_connect_timeout=5,
                                health_check_interval=30)


def queue(name="default"):
    return Queue(name, connection=connection())


def enqueue(func, *args, queue_name="default", job_id=None, retries=5):
    """Enqueue func(*args) with the project's timeout, retry and TTL policy."""
    cfg = _state["config"]
    return queue(queue_name).enqueue(
        func, *args, job_id=job_id, job_timeout=cfg.JOB_TIMEOUT_SECONDS,
        retry=Retry(max=retries, interval=RETRY_INTERVALS[:retries]) if retries else None,
        result_ttl=3600, failure_ttl=7 * 86400)


def try_enqueue(func, *args, **kwargs):
    """Enqueue, but treat Redis being down as 'later': the sweeper will pick the work up."""
    try:
        return enqueue(func, *args, **kwargs)
    except redis.RedisError as exc:
        log.warning("redis unavailable, %s deferred to the sweeper: %s", func.__name__, exc)
        return None


def depth():
    """Jobs waiting per queue (for /metrics)."""
    return {name: queue(name).count for name in QUEUES}
