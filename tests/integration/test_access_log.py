"""Real gunicorn with the production settings (app.gunicorn_conf): a magic-link token never
reaches the access log, whichever part of the request carries it."""
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.services import free_port

REPO = Path(__file__).resolve().parents[2]
SECRET = "s3cretTOKENvalue_0123456789"


@pytest.fixture
def gunicorn(app, database_url, redis_server, clean, tmp_path):
    """(base URL, access log path) of gunicorn serving app.wsgi on a loopback port."""
    port, log = free_port(), tmp_path / "access.log"
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url,
           "REDIS_URL": redis_server.url, "SECRET_KEY": app.config["SECRET_KEY"]}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log), "app.wsgi:app"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _until(lambda: proc.poll() is not None or status(base + "/health") == 200), \
            proc.stderr.read().decode()[-3000:] if proc.poll() is not None else "no answer"
        yield base, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        proc.stderr.close()


def status(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _until(probe, timeout=30):
    deadline = time.monotonic() + timeout
    while not (value := probe()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


def test_the_token_is_not_in_the_access_log(gunicorn):
    base, log = gunicorn
    assert status(f"{base}/auth/callback?token={SECRET}") == 400  # unknown token
    assert status(f"{base}/auth/callback?next=/articles&token={SECRET}") == 400
    assert status(f"{base}/health", {"Referer": f"{base}/auth/callback?token={SECRET}"}) == 200
    assert _until(lambda: log.read_text().count("\n") >= 4)  # /health probes too
    text = log.read_text()
    assert "/auth/callback?token=[redacted]" in text
    assert "next=/articles&token=[redacted]" in text
    assert SECRET not in text
