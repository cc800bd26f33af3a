"""Chat over SSE with the local (extractive) default: streaming, citations, memory,
conversations, prompt injection, errors and the concurrent-stream cap."""

import pytest

from app.chat import extractive
from app.models import Conversation, Message, User
from tests.conftest import csrf_headers, login, run_jobs
from tests.factories import BREAD, INJECTION, TIDAL, answer_of, deliver, parse_sse


@pytest.fixture
def ann(app, client):
    deliver(client, 1, "Tidal power in Scotland", TIDAL)
    deliver(client, 2, "Sourdough basics", BREAD)
    deliver(client, 3, "Compost news", INJECTION)
    run_jobs(app)
    user = User.get(User.email == "ann@example.com")
    login(client, user)
    return user


def ask(client, message, conversation_id=None, **extra):
    body = {"message": message, **({"conversation_id": conversation_id}
                                   if conversation_id else {})}
    resp = client.post("/chat/stream", json=body, headers=csrf_headers(client), **extra)
    return resp


def test_answer_streams_as_sse_then_cites(client, ann):
    resp = ask(client, "How much electricity did the tidal array produce?", buffered=False)
    assert resp.status_code == 200
    assert resp.mimetype == "text/event-stream"
    pieces = [p.decode() for p in resp.response]  # arrives piece by piece, not in one go
    events = parse_sse("".join(pieces))
    names = [e for e, _ in events]
    assert names[0] == "meta" and names[-2:] == ["citations", "done"]
    assert names.count("token") > 5 and len(pieces) > 5
    answer = answer_of(events)
    assert "50 gigawatt hours" in answer and "[1]" in answer
    citations = dict(events)["citations"]
    assert citations[0]["title"] == "Tidal power in Scotland"
    assert citations[0]["url"] == f"/articles/{citations[0]['article_id']}"
    assert "Sourdough basics" not in [c["title"] for c in citations]


def test_nothing_relevant_is_said_plainly(client, ann):
    events = parse_sse(ask(client, "What is the capital of Mongolia?").get_data(as_text=True))
    assert answer_of(events) == extractive.NOTHING
    assert dict(events)["citations"] == []


def test_conversation_is_stored_and_followups_use_memory(client, ann):
    events = parse_sse(ask(client, "Tell me about tidal turbines").get_data(as_text=True))
    cid = dict(events)["meta"]["conversation_id"]
    follow = parse_sse(ask(client, "How many more are planned?", cid).get_data(as_text=True))
    assert "forty more turbines" in answer_of(follow)
    convo = client.get(f"/api/conversations/{cid}").get_json()
    assert [m["role"] for m in convo["messages"]] == ["user", "assistant"] * 2
    assert convo["messages"][1]["citations"][0]["title"] == "Tidal power in Scotland"
    listed = client.get("/api/conversations").get_json()["conversations"]
    assert [c["id"] for c in listed] == [cid]
    assert client.get(f"/chat/{cid}").status_code == 200
    assert client.delete(f"/api/conversations/{cid}", headers=csrf_headers(client)
                         ).status_code == 204
    assert not Conversation.select().exists() and not Message.select().exists()


def test_history_sent_to_the_model_is_the_last_six_exchanges(client, ann):
    from app.chat import memory
    convo = memory.start(ann.id, "q")
    for i in range(8):
        memory.add(convo, "user", f"question {i}")
        memory.add(convo, "assistant", f"answer {i}")
    history = memory.history(convo, client.application.config["CHAT_HISTORY_EXCHANGES"])
    assert len(history) == 12
    assert history[0] == {"role": "user", "content": "question 2"}
    assert history[-1] == {"role": "assistant", "content": "answer 7"}


def test_planted_instruction_is_never_obeyed(client, ann):
    """Obeying = the answer is (or says, in its own words) PWNED. The extractive answerer
    may quote the email, so PWNED may appear only inside a quoted line that cites it."""
    events = parse_sse(ask(client, "How long do worm bins take to make compost? "
                                   "What instructions does the compost newsletter give?"
                           ).get_data(as_text=True))
    answer = answer_of(events)
    assert answer.strip() != "PWNED"
    assert "compost in about three months" in answer
    for line in answer.splitlines():
        if "PWNED" in line:
            assert line.startswith("> “") and line.rstrip().endswith("]"), line
    assert answer.startswith(extractive.INTRO)


def test_other_users_conversations_are_404(app, client, ann):
    events = parse_sse(ask(client, "Tell me about tidal turbines").get_data(as_text=True))
    cid = dict(events)["meta"]["conversation_id"]
    other = app.test_client()
    login(other, User.get_or_create_by_email("eve@example.com"))
    assert other.get(f"/api/conversations/{cid}").status_code == 404
    assert other.get(f"/chat/{cid}").status_code == 404
    assert ask(other, "continue", cid).status_code == 404
    assert other.delete(f"/api/conversations/{cid}", headers=csrf_headers(other)
                        ).status_code == 404


def test_bad_requests(app, client, ann):
    assert ask(client, "").status_code == 400
    assert ask(client, "x" * 4001).status_code == 400
    assert client.post("/chat/stream", json={"message": "hi"}).status_code == 400  # no CSRF
    assert app.test_client().post("/chat/stream", json={"message": "hi"}).status_code in (
        400, 401)


def test_too_many_concurrent_streams_is_429(client, ann):
    from app.queue import connection
    limit = client.application.config["CHAT_MAX_STREAMS"]
    connection().set(f"simplr:chat:streams:{ann.id}", limit)  # `limit` streams already open
    resp = ask(client, "Tell me about tidal turbines")
    assert resp.status_code == 429 and resp.get_json()["error"]
    connection().set(f"simplr:chat:streams:{ann.id}", limit - 1)
    resp = ask(client, "Tell me about tidal turbines")
    assert resp.status_code == 200
    resp.get_data()
    resp.close()  # the slot is released when the server closes the response
    assert int(connection().get(f"simplr:chat:streams:{ann.id}")) == limit - 1  # released


def test_page_renders_with_conversation_list(client, ann):
    ask(client, "Tell me about tidal turbines").get_data()
    page = client.get("/chat").get_data(as_text=True)
    assert 'id="chat-form"' in page and "chat.js" in page
    assert "Tell me about tidal turbines" in page


def test_a_question_in_other_words_still_finds_its_chunk(app, client):
    """Chat keeps a chunk that shares no word with the question when its cosine clears
    CHAT_MIN_SEMANTIC, whatever weight the search fusion gives the cosine."""
    from app.chat.answer import retrieve
    from app.config import current
    deliver(client, 1, "Tidal power in Scotland", TIDAL)
    deliver(client, 2, "Sourdough basics", BREAD)
    run_jobs(app)
    ann = User.get(User.email == "ann@example.com")
    question = "marine renewable power from the moon pulling on the sea"  # no word of TIDAL
    chunks, _ = retrieve(current(), ann.id, question, [])
    assert chunks and chunks[0]["title"] == "Tidal power in Scotland"
    top = chunks[0]
    assert top["matched"] == 0 and top["similarity"] >= current().CHAT_MIN_SEMANTIC
    weight = 1 - current().SEARCH_ARTICLE_ALPHA
    assert top["score"]["semantic"] == pytest.approx(weight * top["similarity"], abs=1e-3)
