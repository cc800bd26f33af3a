"""gunicorn settings shared by `make run` and the systemd unit (flags may override)."""
import os
import re

from gunicorn.glogging import Logger

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'

# A magic-link token in a log line is a login for whoever reads the log.
_SECRET = re.compile(r"((?:^|[?&;])token=)[^&;\s\"]*", re.IGNORECASE)


class RedactingLogger(Logger):
    """The access log with every `token=` value replaced, whichever atom carries it
    (request line, query string, Referer, `{raw_uri}e`…)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}


def redact(text):
    return _SECRET.sub(r"\1[redacted]", text)


logger_class = RedactingLogger


def child_exit(server, worker):
    """Tell prometheus_client that a worker's metrics files belong to a dead process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


def on_starting(server):
    """Drop the metrics files of processes that are gone (the previous web app's, old work
    horses'), not those of the workers that are running: their counters live on."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from app.metrics import prune_dead_files
        prune_dead_files(os.environ["PROMETHEUS_MULTIPROC_DIR"])
