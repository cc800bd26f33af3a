"""Chat: time to first token with the local default, through POST /chat/stream, on the
latency database (run `python -m bench latency` first; it leaves 100k chunks there)."""
import time

from app.auth.csrf import csrf_token
from app.auth.sessions import COOKIE, load_user, start_session
from app.models import Chunk, User
from bench.stats import percentile, save

QUESTIONS = ["What did the newsletter say about the new release?", "Is there a cheap mortgage "
             "offer?", "Who reported the bug in the mailing list?", "How do I unsubscribe?",
             "What are the spam filter results?"] * 6


def first_token_ms(client, headers, question):
    started = time.perf_counter()
    resp = client.post("/chat/stream", json={"message": question}, headers=headers,
                       buffered=False)
    ms = None
    for piece in resp.response:
        if ms is None and b"event: token" in piece:
            ms = (time.perf_counter() - started) * 1000
    resp.close()
    return ms


def main(log=print):
    from bench.latency import _latency_app
    with _latency_app() as app:
        chunks = Chunk.select().count()
        user = User.get(User.email == "bench@example.com")
        client = app.test_client()
        token = start_session(user)
        client.set_cookie(COOKIE, token)
        with app.test_request_context(headers={"Cookie": f"{COOKIE}={token}"}):
            load_user()
            headers = {"X-CSRF-Token": csrf_token()}
        first_token_ms(client, headers, "warm up")
        times = [first_token_ms(client, headers, q) for q in QUESTIONS]
    out = {"chunks": chunks, "p50_ms": round(percentile(times, 50), 1),
           "p95_ms": round(percentile(times, 95), 1)}
    log(f"  chat time to first token at {chunks:,} chunks (local default): "
        f"p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms (target < 300 ms)")
    save("chat", out)
    return out
