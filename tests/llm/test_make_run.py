"""`make run LOCAL_MODEL=...`: scripts/run.sh starts llama.cpp's server with the model and
points the web app and the workers at it; a chat answer is then written by the model."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app.auth.sessions import COOKIE
from tests.conftest import csrf_headers, login
from tests.factories import make_article, parse_sse, user
from tests.llm.conftest import gguf_path
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_run(app, tmp_path):
    """scripts/run.sh on free ports, against the tests' database, Redis and mail server,
    with the packaged model; yields (base URL, the output read so far as a list)."""
    pytest.importorskip("llama_cpp.server")
    cfg = app.config
    port = free_port()
    env = {**os.environ, "LOCAL_MODEL": gguf_path(), "LLM_VENV": sys.prefix,
           "PORT": str(port), "LLM_PORT": str(free_port()), "SMTP_PORT": str(free_port()),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
           **{k: str(cfg[k]) for k in ("APP_ENV", "DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                                       "STORAGE_DIR", "MAILERSEND_WEBHOOK_SECRET")}}
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    lines = []
    try:
        _read_until(proc, lines, "Send a test email", timeout=180)
        yield f"http://127.0.0.1:{port}", lines, proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        proc.stdout.close()
        _workers_gone(app)


def _workers_gone(app, timeout=30):
    """Until run.sh's RQ workers have shut down: a worker still draining would take the
    next test's jobs from the shared Redis (and write them with run.sh's settings)."""
    from rq import Worker

    from app.queue import connection
    with app.app_context():
        deadline = time.monotonic() + timeout
        while Worker.all(connection=connection()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not Worker.all(connection=connection()), "run.sh's workers did not stop"


def _read_until(proc, lines, marker, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return
    raise AssertionError(f"no {marker!r} from run.sh:\n{''.join(lines)[-4000:]}")


def test_make_run_with_a_local_model_answers_chat_with_it(make_run, client):
    url, lines, proc = make_run
    assert any("Local model (" in line and "answers chat" in line for line in lines), lines
    owner = user()
    make_article(owner, title="Lighthouse keepers",
                 text="The lighthouse on Skerry Point was kept by Ada Brown for forty years. " * 6)
    token = login(client, owner)
    request = urllib.request.Request(
        f"{url}/chat/stream", method="POST",
        data=json.dumps({"message": "Who kept the lighthouse?"}).encode(),
        headers={"Content-Type": "application/json", "Cookie": f"{COOKIE}={token}",
                 **csrf_headers(client)})
    with urllib.request.urlopen(request, timeout=120) as resp:
        events = parse_sse(resp.read().decode())
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and "note" not in kinds and "error" not in kinds, events
    assert kinds.count("token") > 3
    _read_until(proc, lines, "POST /v1/chat/completions", timeout=10)  # the model answered
