"""Webhook acceptance through gunicorn under concurrent load from a second process.

Baseline, same server and run: the same signed-size POST with a bad signature (HTTP +
gunicorn + Flask + HMAC, no storage). The accepted path adds JSON validation, the durable
INSERT and the enqueue. Prints requests/s, p50/p99 and the ratio to the baseline.

    python -m bench webhook        # BENCH_WEBHOOK_REQUESTS=2000, BENCH_WEBHOOK_CONCURRENCY=16
"""
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from app.ingest.sample import SAMPLE, payload_from_message, sign
from tests.services import RedisServer, free_port, fresh_database

REQUESTS = int(os.environ.get("BENCH_WEBHOOK_REQUESTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_WEBHOOK_CONCURRENCY", "16"))
SECRET = "bench-webhook-secret-0123456789"


def _server(redis):
    env = {**os.environ, "APP_ENV": "test", "LOG_LEVEL": "WARNING", "REDIS_URL": redis.url,
           "DATABASE_URL": fresh_database("simplr_bench_webhook"),
           "MAILERSEND_WEBHOOK_SECRET": SECRET}
    subprocess.run([sys.executable, "-m", "app", "migrate"], env=env, check=True,
                   capture_output=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf",
                             "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
                             "app.wsgi:app"], env=env, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/health")
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("gunicorn did not start")


def _bodies(n, valid):
    template = payload_from_message(SAMPLE.format(id="bench"))
    for _ in range(n):
        template["data"]["id"] = uid = uuid.uuid4().hex
        template["data"]["headers"]["Message-ID"] = f"<{uid}@bench>"  # else: a duplicate
        body = json.dumps(template).encode()
        yield body, sign(body, SECRET) if valid else "0" * 64


def _worker(port, jobs, out):
    """One load process: CONCURRENCY keep-alive connections, latencies in seconds."""
    def run(chunk):
        conn, lat = http.client.HTTPConnection("127.0.0.1", port, timeout=30), []
        for body, sig in chunk:
            t = time.perf_counter()
            conn.request("POST", "/webhooks/mailersend", body,
                         {"Signature": sig, "Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            lat.append((time.perf_counter() - t, resp.status))
        return lat
    chunks = [jobs[i::CONCURRENCY] for i in range(CONCURRENCY)]
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        lat = [x for part in pool.map(run, chunks) for x in part]
    out.put((time.perf_counter() - started, lat))


def _load(port, valid, n):
    jobs, out = list(_bodies(n, valid)), multiprocessing.Queue()
    proc = multiprocessing.Process(target=_worker, args=(port, jobs, out))
    proc.start()
    elapsed, lat = out.get()
    proc.join()
    times = sorted(t for t, _ in lat)
    statuses = sorted({s for _, s in lat})
    return {"rps": round(n / elapsed, 1), "p50_ms": round(times[len(times) // 2] * 1000, 2),
            "p99_ms": round(times[int(len(times) * 0.99)] * 1000, 2), "statuses": statuses}


def run(n=REQUESTS):
    redis = RedisServer().start()
    proc, port = _server(redis)
    try:
        _load(port, True, 100)  # warm up every gunicorn worker and the pool
        baseline, accepted = _load(port, False, n), _load(port, True, n)
    finally:
        proc.terminate()
        proc.wait()
        redis.close()
    result = {"requests": n, "concurrency": CONCURRENCY, "baseline_401": baseline,
              "accepted_202": accepted,
              "throughput_ratio": round(accepted["rps"] / baseline["rps"], 3)}
    print(f"webhook: {n} requests, {CONCURRENCY} connections from a second process")
    for name, r in (("bad signature (baseline)", baseline), ("accepted + stored", accepted)):
        print(f"  {name:<26} {r['rps']:>8} req/s  p50 {r['p50_ms']:>7} ms  "
              f"p99 {r['p99_ms']:>7} ms  status {r['statuses']}")
    print(f"  accepted/baseline throughput ratio {result['throughput_ratio']}")
    return result


if __name__ == "__main__":
    run()
