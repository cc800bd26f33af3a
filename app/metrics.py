"""Prometheus metrics. Under gunicorn and RQ each process counts for itself; set
PROMETHEUS_MULTIPROC_DIR (make run and the systemd units do) and /metrics sums them."""
import contextlib
import glob
import os
import time

import peewee
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

WEBHOOKS = Counter("simplr_webhooks_total", "Webhook deliveries by result", ["result"])
INGEST_SECONDS = Histogram("simplr_ingest_duration_seconds", "Time to ingest one event",
                           buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300))
INGEST_FAILURES = Counter("simplr_ingest_failures_total", "Ingest attempts that failed")
INGEST_HELD = Counter("simplr_ingest_held_total", "Deliveries held: sender unproven or not allowed")
# A configured model that did not answer, so the local method did (chat's extractive answer,
# the local summary, the embedding category): alerted on (SimplrModelFallingBack).
LLM_FALLBACKS = Counter("simplr_llm_fallbacks_total",
                        "Model calls answered by the local fallback instead", ["use"])
for _use in ("chat", "summary", "category"):
    LLM_FALLBACKS.labels(_use)  # exported as 0 from the start: increase() sees the first one
REQUESTS = Histogram("simplr_http_request_duration_seconds", "HTTP requests by route",
                     ["method", "route", "status"])


def init_app(app):
    """Time every request, labelled by its route pattern (not the raw path: bounded labels)."""
    from flask import g, request

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        if "request_started" in g:
            route = request.url_rule.rule if request.url_rule else "unmatched"
            REQUESTS.labels(request.method, route, str(response.status_code)).observe(
                time.perf_counter() - g.request_started)
        return response


class StateCollector:
    """Point-in-time gauges read at scrape time: queue depth and events by status."""

    def collect(self):
        from app.models import InboundEvent
        from app.queue import depth
        queued = GaugeMetricFamily("simplr_queue_depth", "Jobs waiting", labels=["queue"])
        try:
            for name, n in depth().items():
                queued.add_metric([name], n)
        except Exception:  # noqa: BLE001 - a scrape must not fail because Redis is down
            pass
        yield queued
        events = GaugeMetricFamily("simplr_inbound_events", "Events by status", labels=["status"])
        try:
            rows = (InboundEvent.select(InboundEvent.status, peewee.fn.COUNT(InboundEvent.id))
                    .group_by(InboundEvent.status).tuples())
            for status, n in rows:
                events.add_metric([status], n)
        except peewee.PeeweeException:
            pass
        yield events


def prune_dead_files(directory):
    """Remove the multiprocess files (`<kind>_<pid>.db`) of pids that no longer run."""
    for path in glob.glob(os.path.join(directory, "*.db")):
        pid = path[:-3].rsplit("_", 1)[-1]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def render():
    """The exposition text for /metrics."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry  # noqa: N811
    text = generate_latest(registry)
    state = CollectorRegistry()
    state.register(StateCollector())
    return text + generate_latest(state)
