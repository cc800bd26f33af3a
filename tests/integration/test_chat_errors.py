"""An OpenAI-compatible provider that fails before answering is replaced by the local
extractive answer, with a note saying so; one that stalls mid-answer ends the stream with
an `error` event. Summaries and categories fall back to the local ones too."""
import contextlib
import http.server
import json
import threading
import time

import pytest

from tests.conftest import csrf_headers, login, post_webhook, run_jobs
from tests.factories import TIDAL, parse_sse


class FakeLLM(http.server.BaseHTTPRequestHandler):
    """POST /v1/chat/completions: `mode` 500 answers an error; `stall` sends one token
    and then nothing, as a wedged model server would."""
    mode = "500"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "500":
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "model crashed"}}')
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                 "choices": [{"index": 0, "delta": {"content": "Tidal"},
                              "finish_reason": None}]}
        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.flush()
        time.sleep(4)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serve(mode):
    handler = type("Handler", (FakeLLM,), {"mode": mode})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["500", "stall"])
def fake_llm(request):
    with _serve(request.param) as url:
        yield request.param, url


def test_provider_failure_falls_back_or_ends_with_an_error(app, client, make_app, fake_llm):
    mode, url = fake_llm
    assert post_webhook(client, {"type": "inbound.message", "data": {
        "id": "e-1", "from": {"email": "ann@example.com"}, "subject": "Tidal power",
        "text": TIDAL}}).status_code == 202
    run_jobs(app)  # ingested by the local default
    broken = make_app(LLM_PROVIDER="openai", OPENAI_BASE_URL=url, LLM_MODEL="m",
                      LLM_TIMEOUT_SECONDS=1, LLM_MAX_RETRIES=0)
    fallbacks = _fallbacks("chat")
    from app.models import User
    with broken.app_context():
        c = broken.test_client()
        login(c, User.get(User.email == "ann@example.com"))
        started = time.monotonic()
        resp = c.post("/chat/stream", json={"message": "What about tidal power?"},
                      headers=csrf_headers(c))
        events = parse_sse(resp.get_data(as_text=True))
    assert time.monotonic() - started < 10
    names = [e for e, _ in events]
    if mode == "500":  # no token yet: the extractive answer stands in, and says so
        assert names[1] == "note" and "not answering" in events[1][1]["message"]
        text = "".join(d["text"] for e, d in events if e == "token")
        assert "50 gigawatt hours" in text and names[-1] == "done"
        assert _fallbacks("chat") == fallbacks + 1  # counted, for the alert
    else:  # half an answer cannot be taken back: the stream ends with an error
        assert "token" in names and "note" not in names
        assert events[-1][0] == "error" and events[-1][1]["message"]


def test_summary_and_category_fall_back_when_the_model_is_down(app, make_app):
    with _serve("500") as url:
        _summary_and_category(make_app, url)


def _summary_and_category(make_app, url):
    broken = make_app(LLM_PROVIDER="openai", OPENAI_BASE_URL=url, LLM_MODEL="m",
                      LLM_TIMEOUT_SECONDS=1, LLM_MAX_RETRIES=0)
    from app.providers import get_provider
    before = _fallbacks("summary"), _fallbacks("category")
    with broken.app_context():
        provider = get_provider(broken.extensions["simplr.config"])
        summary = provider.summarize("Tidal power", TIDAL)
        category = provider.classify("Tidal power", TIDAL)
    assert "tidal" in summary.lower() and category == "science"  # the local ones
    assert (_fallbacks("summary"), _fallbacks("category")) == (before[0] + 1, before[1] + 1)


def _fallbacks(use):
    """simplr_llm_fallbacks_total{use} in this process (what /metrics adds up)."""
    from prometheus_client import REGISTRY
    return REGISTRY.get_sample_value("simplr_llm_fallbacks_total", {"use": use}) or 0
