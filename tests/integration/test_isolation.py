"""Strict per-user isolation: user B gets 404 — never 403, never data — for anything of A's,
through the UI, the API, downloads and search."""
import importlib.util

import pytest

from app.models import Article, Chunk, Source
from tests.conftest import csrf_headers, login, run_jobs
from tests.factories import make_article, user

SECRET = "Zanzibarian quokka telemetry"


@pytest.fixture
def world(app, client):
    """A owns an article with a PDF; B owns one too and is the logged-in client."""
    ann, bob = user("ann@example.com"), user("bob@example.com")
    a = make_article(ann, f"{SECRET} memo", text=f"{SECRET} is confidential. " * 20,
                     pdf=b"%PDF-1.4 secret")
    b = make_article(bob, "Bob's own article")
    login(client, bob)
    a_pdf = Source.get(Source.article == a.id, Source.type == "pdf")
    return {"a": a.id, "b": b.id, "a_pdf": a_pdf.id, "a_chunks": chunk_state(a.id)}


def chunk_state(article_id):
    return sorted((c.idx, c.content) for c in Chunk.select().where(Chunk.article == article_id))


ROUTES = [
    ("GET", "/articles/{a}"),
    ("GET", "/articles/{a}/edit"),
    ("POST", "/articles/{a}/edit"),
    ("GET", "/articles/{a}/delete"),
    ("POST", "/articles/{a}/delete"),
    ("GET", "/articles/{a}/sources/{a_pdf}"),
    ("GET", "/articles/{b}/sources/{a_pdf}"),  # A's file through B's own article
    ("GET", "/api/articles/{a}"),
    ("PUT", "/api/articles/{a}"),
    ("DELETE", "/api/articles/{a}"),
    ("GET", "/api/articles/{a}/chunks"),
]


@pytest.mark.parametrize("method,path", ROUTES)
def test_other_users_things_are_404(app, client, world, method, path):
    url = path.format(**world)
    form = {"title": "hijacked", "summary": "", "category": "other", "text": "hijacked"}
    headers = csrf_headers(client)
    if path.startswith("/api/"):
        resp = client.open(url, method=method, headers=headers,
                           json=form if method == "PUT" else None)
    else:
        resp = client.open(url, method=method,
                           data={**form, "csrf_token": headers["X-CSRF-Token"]}
                           if method == "POST" else None)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 404, body
    assert SECRET not in body and "secret" not in body.lower().replace("secret_key", "")
    run_jobs(app)
    a = Article.get_by_id(world["a"])
    assert a.title == f"{SECRET} memo" and a.content_text.startswith(SECRET)
    assert chunk_state(world["a"]) == world["a_chunks"]
    assert Source.select().where(Source.article == world["a"]).count() == 2


def test_lists_show_only_ones_own_articles(client, world):
    page = client.get("/articles").get_data(as_text=True)
    assert "Bob&#39;s own article" in page and SECRET not in page
    items = client.get("/api/articles").get_json()["items"]
    assert [i["id"] for i in items] == [world["b"]]


@pytest.mark.skipif(importlib.util.find_spec("app.search") is None, reason="no search yet")
def test_search_never_returns_another_users_hits(client, world):
    page = client.get(f"/articles?q={SECRET}").get_data(as_text=True)
    assert SECRET not in page.replace(f'value="{SECRET}"', "")
    api = client.get(f"/api/search?q={SECRET}")
    if api.status_code != 404:  # the search API may not be registered yet
        assert SECRET not in api.get_data(as_text=True).replace(f'"{SECRET}"', "")
