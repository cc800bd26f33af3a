"""A failing or stalled OpenAI-compatible provider ends the stream with an `error` event."""
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


@pytest.fixture(params=["500", "stall"])
def fake_llm(request):
    handler = type("Handler", (FakeLLM,), {"mode": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield request.param, f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    server.server_close()


def test_provider_failure_ends_stream_with_error_event(app, client, make_app, fake_llm):
    mode, url = fake_llm
    assert post_webhook(client, {"type": "inbound.message", "data": {
        "id": "e-1", "from": {"email": "ann@example.com"}, "subject": "Tidal power",
        "text": TIDAL}}).status_code == 202
    run_jobs(app)  # ingested by the local default
    broken = make_app(LLM_PROVIDER="openai", OPENAI_BASE_URL=url, LLM_MODEL="m",
                      LLM_TIMEOUT_SECONDS=1, LLM_MAX_RETRIES=0)
    from app.models import User
    with broken.app_context():
        c = broken.test_client()
        login(c, User.get(User.email == "ann@example.com"))
        started = time.monotonic()
        resp = c.post("/chat/stream", json={"message": "What about tidal power?"},
                      headers=csrf_headers(c))
        events = parse_sse(resp.get_data(as_text=True))
    assert time.monotonic() - started < 10
    assert events[-1][0] == "error" and events[-1][1]["message"]
    assert ("token" in [e for e, _ in events]) == (mode == "stall")
