"""The JSON API: pagination, edits, deletes, and JSON errors with the right status."""
import json

import pytest

from app.models import Article, Chunk
from tests.conftest import csrf_headers, login, run_jobs
from tests.factories import make_article, user


@pytest.fixture
def ann(client):
    u = user()
    login(client, u)
    return u


def put(client, article_id, body, raw=None):
    return client.put(f"/api/articles/{article_id}", data=raw or json.dumps(body),
                      headers={**csrf_headers(client), "Content-Type": "application/json"})


def test_list_paginates_newest_first(client, ann):
    for i in range(5):
        make_article(ann, f"Piece {i}", text="Short.", age_days=10 - i)
    body = client.get("/api/articles?page=2&per_page=2").get_json()
    assert [a["title"] for a in body["items"]] == ["Piece 2", "Piece 1"]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (2, 2, 5, 3)
    assert body["items"][0]["source_types"] == ["email"]


def test_get_one_article(client, ann):
    article = make_article(ann, pdf=b"%PDF-1.4 x")
    body = client.get(f"/api/articles/{article.id}").get_json()
    assert body["title"] == "Kelp forests" and "sea urchins" in body["text"]
    assert body["chunks"] > 0 and body["source_types"] == ["email", "pdf"]
    pdf = [s for s in body["sources"] if s["type"] == "pdf"][0]
    with client.get(pdf["download_url"]) as download:
        assert download.data == b"%PDF-1.4 x"
    chunks = client.get(f"/api/articles/{article.id}/chunks").get_json()["items"]
    assert [c["idx"] for c in chunks] == list(range(body["chunks"]))


def test_put_changes_fields_and_reindexes_text(app, client, ann):
    article = make_article(ann)
    resp = put(client, article.id, {"title": "Renamed", "text": "Coral spawning at night. " * 30})
    assert resp.status_code == 200
    assert resp.get_json()["title"] == "Renamed" and resp.get_json()["reindex_queued"] is True
    run_jobs(app)
    assert all("Coral" in c.content for c in Chunk.select().where(Chunk.article == article.id))


def test_put_validation_names_the_fields(client, ann):
    article = make_article(ann)
    resp = put(client, article.id, {"title": "", "category": "astrology", "colour": "red",
                                    "summary": 7})
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["status"] == 400
    assert set(body["fields"]) == {"title", "category", "colour", "summary"}
    assert put(client, article.id, None, raw="{not json").status_code == 400
    assert put(client, article.id, [1, 2]).get_json()["fields"] == {"body": "must be a JSON object"}
    assert put(client, article.id, {}).status_code == 400
    assert Article.get_by_id(article.id).title == "Kelp forests"


def test_delete(client, ann):
    article = make_article(ann)
    resp = client.delete(f"/api/articles/{article.id}", headers=csrf_headers(client))
    assert resp.status_code == 204
    assert Article.select().count() == 0 and Chunk.select().count() == 0
    assert client.get(f"/api/articles/{article.id}").status_code == 404


def test_writes_need_the_csrf_header(client, ann):
    article = make_article(ann)
    resp = client.delete(f"/api/articles/{article.id}")
    assert resp.status_code == 400 and "CSRF" in resp.get_json()["error"]


def test_401_without_a_session(client):
    resp = client.get("/api/articles")
    assert resp.status_code == 401 and resp.get_json()["status"] == 401


def test_404_and_405_are_json(client, ann):
    resp = client.get("/api/articles/424242")
    assert resp.status_code == 404 and resp.get_json()["status"] == 404
    assert client.get("/api/nothing-here").get_json()["status"] == 404
    resp = client.post("/api/articles", json={})
    assert resp.status_code == 405 and resp.get_json()["status"] == 405
    assert "GET" in resp.headers["Allow"]


def test_400_for_bad_pagination(client, ann):
    body = client.get("/api/articles?page=0&per_page=1000").get_json()
    assert body["status"] == 400 and set(body["fields"]) == {"page", "per_page"}


def test_413_for_an_oversized_body(client, ann, config):  # noqa: F811
    config(API_MAX_BODY_BYTES=1024)
    article = make_article(ann)
    resp = put(client, article.id, {"text": "x" * 5000})
    assert resp.status_code == 413 and resp.get_json()["status"] == 413


def test_429_when_rate_limited(client, ann, config):  # noqa: F811
    config(API_RATE_PER_MINUTE=3)
    # a fixed window may roll over mid-test: within 7 requests one must still be refused
    statuses = [client.get("/api/articles").status_code for _ in range(7)]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses
    resp = client.get("/api/articles")
    assert resp.get_json()["status"] == 429 and int(resp.headers["Retry-After"]) >= 1
