"""Operational endpoints: /health for load balancers and deploys, /metrics for Prometheus."""
import datetime

import peewee
import redis
from flask import Blueprint, Response, current_app, jsonify

from app import metrics
from app.db import db
from app.queue import connection
from app.worker import live_queues

bp = Blueprint("ops", __name__)


def check():
    """{'database': 'ok'|error, 'redis': 'ok'|error, 'workers': 'ok'|error (when
    HEALTH_WORKER_QUEUES lists queues)}."""
    parts = {}
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
        parts["database"] = "ok"
    except peewee.PeeweeException as exc:
        parts["database"] = f"down: {str(exc).strip().splitlines()[0][:200]}"
    try:
        connection().ping()
        parts["redis"] = "ok"
    except redis.RedisError as exc:
        parts["redis"] = f"down: {str(exc)[:200]}"
        return parts
    queues = current_app.extensions["simplr.config"].HEALTH_WORKER_QUEUES
    if queues:
        parts["workers"] = _workers(queues)
    return parts


def _workers(queues):
    """'ok', or which queues no worker with a fresh heartbeat is working: a crash-looping
    worker never stays registered, so a deploy that breaks the workers fails its check."""
    try:
        live = live_queues(connection(), datetime.datetime.now(datetime.UTC))
    except redis.RedisError as exc:
        return f"down: {str(exc)[:200]}"
    missing = [q for q in queues if q not in live]
    return f"no live worker for {', '.join(missing)}" if missing else "ok"


@bp.get("/health")
def health():
    parts = check()
    ok = all(v == "ok" for v in parts.values())
    failing = [k for k, v in parts.items() if v != "ok"]
    return jsonify(status="ok" if ok else "unhealthy", failing=failing, **parts), 200 if ok else 503


@bp.get("/metrics")
def prometheus():
    return Response(metrics.render(), mimetype="text/plain; version=0.0.4")
