"""Operational endpoints: /health for load balancers and deploys, /metrics for Prometheus."""
import peewee
import redis
from flask import Blueprint, Response, jsonify

from app import metrics
from app.db import db
from app.queue import connection

bp = Blueprint("ops", __name__)


def check():
    """{'database': 'ok'|error, 'redis': 'ok'|error}."""
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


@bp.get("/health")
def health():
    parts = check()
    ok = all(v == "ok" for v in parts.values())
    failing = [k for k, v in parts.items() if v != "ok"]
    return jsonify(status="ok" if ok else "unhealthy", failing=failing, **parts), 200 if ok else 503


@bp.get("/metrics")
def prometheus():
    return Response(metrics.render(), mimetype="text/plain; version=0.0.4")
