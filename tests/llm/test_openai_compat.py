"""The openai-client path against llama.cpp's OpenAI-compatible server on loopback:
ingest (summarise, classify) and streaming chat."""
import pytest

from app.providers.categories import CATEGORIES
from app.providers.openai_compat import OpenAIProvider
from tests.conftest import csrf_headers, login, post_webhook, run_jobs
from tests.factories import TIDAL, answer_of, parse_sse

pytestmark = pytest.mark.llm


@pytest.fixture
def completions(monkeypatch):
    """Every non-streaming completion the provider got back from the server."""
    seen = []
    original = OpenAIProvider.complete

    def spy(self, messages, max_tokens=300):
        seen.append(original(self, messages, max_tokens))
        return seen[-1]
    monkeypatch.setattr(OpenAIProvider, "complete", spy)
    return seen


def deliver_tidal(llm_app):
    from app.models import Article
    client = llm_app.test_client()
    payload = {"type": "inbound.message", "data": {
        "id": "llm-1", "from": {"email": "ann@example.com"},
        "subject": "Tidal power in Scotland", "text": TIDAL}}
    assert post_webhook(client, payload).status_code == 202
    run_jobs(llm_app)
    return client, Article.get()


def test_ingest_summarises_and_classifies_through_the_server(llm_app, completions):
    _, article = deliver_tidal(llm_app)
    assert len(completions) == 2  # one summary, one classification
    assert article.summary == completions[0][:1000] and article.summary
    assert article.category in CATEGORIES
    assert article.chunks.count() >= 1


def test_chat_streams_tokens_from_the_server(llm_app):
    client, article = deliver_tidal(llm_app)
    login(client, article.user)
    resp = client.post("/chat/stream", json={"message": "What did the tidal array produce?"},
                       headers=csrf_headers(client), buffered=False)
    assert resp.status_code == 200
    pieces = list(resp.response)
    events = parse_sse(b"".join(pieces).decode())
    names = [e for e, _ in events]
    assert "error" not in names, events
    assert names[0] == "meta" and names[-2:] == ["citations", "done"]
    assert names.count("token") >= 3 and len(pieces) >= 3  # streamed, not one blob
    assert answer_of(events).strip()
    assert dict(events)["citations"][0]["title"] == "Tidal power in Scotland"
