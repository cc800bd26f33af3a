"""Real services for tests and benchmarks: a fresh PostgreSQL database (on the local
cluster that `make test` starts), a private Redis we can stop and start, an SMTP server,
llama.cpp's OpenAI-compatible server."""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

PG_DSN = os.environ.get("TEST_PG_DSN", "postgresql://simplr:simplr@127.0.0.1:5432")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql_su(sql, db="postgres"):
    """Run SQL as the postgres superuser (the app role is not one)."""
    cmd = ["psql", "-qtAX", "-d", db, "-c", sql]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def fresh_database(name):
    """Drop and recreate `name`, owned by the app role, with the vector extension."""
    psql_su(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql_su(f"CREATE DATABASE {name} OWNER simplr")
    psql_su("CREATE EXTENSION IF NOT EXISTS vector", db=name)
    return f"{PG_DSN}/{name}"


class RedisServer:
    """A throwaway redis-server on a free loopback port."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="simplr-redis-")
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir], stdout=subprocess.DEVNULL)
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class SmtpServer:
    """aiosmtpd on loopback that keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        from app.mail.sink import PrintingHandler
        self.handler = PrintingHandler(echo=lambda *a, **k: None)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.lock = threading.Lock()

    @property
    def messages(self):
        return self.handler.messages

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def wait_for(self, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@contextlib.contextmanager
def llama_server(model, log=subprocess.DEVNULL):
    """llama.cpp's OpenAI-compatible server (llama-cpp-python) with the GGUF `model` on a
    free loopback port: yields its base URL (…/v1); stopped on exit."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", model,
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def _wait_ready(url, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("llama_cpp.server did not start")
