"""Issue 10, web side: hostile parameters are a 4xx naming the problem (never a 500),
and every HTML page carries the one Content-Security-Policy."""
import json

import pytest

from app.errors import CSP
from app.models import Article, Conversation
from tests.conftest import csrf_headers, login
from tests.factories import make_article, user

HUGE = "100000000000000000000"  # 10**20: past a bigint, and any OFFSET


@pytest.fixture
def ann(client):
    u = user()
    login(client, u)
    return u


@pytest.fixture
def article(ann):
    return make_article(ann, "Kelp forests")


def api_error(resp, field):
    body = resp.get_json()
    assert resp.status_code == 400 and body["status"] == 400, resp.get_data(as_text=True)
    assert field in body["error"] and field in body["fields"], body
    return body


def page_error(resp, words):
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and resp.mimetype == "text/html", page[:300]
    assert words in page, page
    return page


@pytest.mark.parametrize("query, field", [
    (f"page={HUGE}", "page"), ("page=²", "page"), ("per_page=²", "per_page"),
    (f"per_page={HUGE}", "per_page"), ("page=-1", "page")])
def test_api_list_bad_numbers(client, ann, query, field):
    api_error(client.get(f"/api/articles?{query}"), field)


@pytest.mark.parametrize("query, field", [
    ("q=kelp&limit=²", "limit"), (f"q=kelp&limit={HUGE}", "limit"),
    ("q=kelp%00", "q"), (f"q={'k' * 1001}", "q"), ("q=kelp&mode=%00", "mode")])
def test_api_search_bad_parameters(client, ann, query, field):
    api_error(client.get(f"/api/search?{query}"), field)


@pytest.mark.parametrize("query, words", [
    (f"page={HUGE}", "page must be an integer"), ("page=²", "page must be an integer"),
    (f"q={'k' * 1001}", "at most 1000 characters"), ("q=kelp%00", "q must not contain NUL")])
def test_articles_page_bad_parameters(client, ann, query, words):
    page_error(client.get(f"/articles?{query}"), words)


@pytest.mark.parametrize("path", ["/articles/" + HUGE, "/api/articles/" + HUGE,
                                  "/chat/" + HUGE, "/api/conversations/" + HUGE])
def test_huge_ids_in_the_path_are_404(client, ann, path):
    assert client.get(path).status_code == 404


def test_nul_in_an_edited_title_via_the_form(client, article):
    form = {"csrf_token": csrf_headers(client)["X-CSRF-Token"], "title": "Kelp\x00",
            "summary": "s", "category": "science", "text": "Some text."}
    resp = client.post(f"/articles/{article.id}/edit", data=form)
    page_error(resp, "must not contain NUL")
    assert Article.get_by_id(article.id).title == "Kelp forests"


@pytest.mark.parametrize("body, field", [
    ({"title": "Kelp\x00"}, "title"), ({"title": "Kelp\r\nBcc: eve@example.com"}, "title"),
    ({"summary": "\ud800"}, "summary"), ({"title": ["a list"]}, "title")])
def test_bad_text_via_the_api(client, article, body, field):
    resp = client.put(f"/api/articles/{article.id}", data=json.dumps(body),
                      headers={**csrf_headers(client), "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["fields"][field], resp.get_json()
    assert Article.get_by_id(article.id).title == "Kelp forests"


@pytest.mark.parametrize("email", ["ann\x00@example.com", "ann@example.com\x1b",
                                   "a" * 400 + "@example.com"])
def test_login_refuses_addresses_with_controls(client, email):
    from app.queue import queue
    from tests.factories import anonymous_csrf
    resp = client.post("/login", data={"email": email, "csrf_token": anonymous_csrf(client)})
    page_error(resp, "Enter a valid email address")
    assert queue("mail").count == 0


def chat(client, body):
    return client.post("/chat/stream", data=json.dumps(body),
                       headers={**csrf_headers(client), "Content-Type": "application/json"})


@pytest.mark.parametrize("body, field", [
    (["a", "list"], "body"), ("just a string", "body"), (None, "body"),
    ({"message": "hi", "conversation_id": "²"}, "conversation_id"),
    ({"message": "hi", "conversation_id": HUGE}, "conversation_id"),
    ({"message": "hi", "conversation_id": True}, "conversation_id"),
    ({"message": "hi", "conversation_id": {"id": 1}}, "conversation_id"),
    ({"message": "tidal\x00"}, "message"), ({"message": "\udfff"}, "message"),
    ({"message": ["tidal"]}, "message"), ({"message": "   "}, "message")])
def test_chat_bad_bodies(client, ann, body, field):
    api_error(chat(client, body), field)
    assert Conversation.select().count() == 0


def test_every_html_page_has_the_csp(app, client, article):
    conversation = Conversation.create(user=article.user, title="Kelp talk")
    seen = 0
    for path in html_paths(app, article.id, conversation.id):
        resp = client.get(path)
        if resp.mimetype == "text/html":
            seen += 1
            assert resp.headers.get("Content-Security-Policy") == CSP, path
            assert resp.headers["X-Content-Type-Options"] == "nosniff", path
    assert seen >= 8
    anonymous = app.test_client()
    for path in ("/login", "/auth/callback?token=nope", "/no-such-page"):
        assert anonymous.get(path).headers.get("Content-Security-Policy") == CSP, path


def html_paths(app, article_id, conversation_id):
    """A GET path for every route (ids filled in with real ones), plus error pages."""
    paths = ["/no-such-page", "/articles?page=" + HUGE, "/articles?q=kelp"]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        values = {a: (conversation_id if "conversation" in a else article_id)
                  for a in rule.arguments}
        paths.append(rule.build(values, append_unknown=False)[1])
    return paths


def streams(user_id):
    from app.queue import connection
    return int(connection().get(f"simplr:chat:streams:{user_id}") or 0)


def test_a_chat_request_that_fails_before_streaming_frees_its_slot(client, article,
                                                                      monkeypatch):
    from app.chat import memory
    start = memory.start
    monkeypatch.setattr(memory, "start", lambda *a: 1 / 0)
    for _ in range(client.application.config["CHAT_MAX_STREAMS"] + 1):
        assert chat(client, {"message": "kelp"}).status_code == 500
    assert streams(article.user_id) == 0
    monkeypatch.setattr(memory, "start", start)
    resp = chat(client, {"message": "What happened to the kelp?"})
    assert resp.status_code == 200  # not locked out
    resp.get_data()
    resp.close()
    assert streams(article.user_id) == 0


def test_an_error_while_streaming_frees_the_slot(client, article, monkeypatch):
    from app.chat import answer
    monkeypatch.setattr(answer, "retrieve", lambda *a: 1 / 0)
    resp = chat(client, {"message": "kelp"})
    assert b"event: error" in resp.get_data()
    resp.close()
    assert streams(article.user_id) == 0


def test_a_client_that_leaves_mid_answer_frees_the_slot(client, article, monkeypatch):
    from app.chat import extractive

    def endless(text):
        while True:
            yield "kelp "
    monkeypatch.setattr(extractive, "tokens", endless)
    resp = chat(client, {"message": "What happened to the kelp?"})
    chunks = iter(resp.response)
    assert b"event: meta" in next(chunks)
    assert streams(article.user_id) == 1
    resp.close()  # what the server does when the socket goes away
    assert streams(article.user_id) == 0


def test_a_refused_try_does_not_extend_the_lockout(client, ann):
    from app.queue import connection
    key, limit = f"simplr:chat:streams:{ann.id}", client.application.config["CHAT_MAX_STREAMS"]
    connection().set(key, limit, ex=30)  # e.g. slots leaked by a crashed process
    assert chat(client, {"message": "kelp"}).status_code == 429
    assert 0 < connection().ttl(key) <= 30


def test_a_crlf_title_still_gets_its_confirmation(ann, smtp_server):
    from app.mail.jobs import send_confirmation
    article = make_article(ann, "Kelp\r\nBcc: eve@example.com\r\n\x1b" + "k" * 400)
    assert send_confirmation(article.id)
    msg = smtp_server.wait_for(1)[0]
    assert msg["Subject"].startswith("Saved: Kelp Bcc: eve@example.com k")
    assert len(msg["Subject"]) <= 200 and msg["Subject"].endswith("…")
    assert msg["Bcc"] is None and msg["To"] == ann.email
