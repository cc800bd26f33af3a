"""The articles UI: list, detail, edit (re-index), delete (originals too), downloads,
sanitising."""
import datetime
import os

import pytest

from app.models import Article, Chunk, Source, SourceFile, User
from tests.conftest import csrf_headers, login, post_webhook, run_jobs
from tests.factories import HOSTILE, legacy_file, make_article, user


@pytest.fixture
def ann(client):
    u = user()
    login(client, u)
    return u


def test_empty_state_tells_a_new_user_their_inbound_address(app, client, ann):
    page = client.get("/articles").get_data(as_text=True)
    assert "Add your first article" in page
    assert app.config["INBOUND_ADDRESS"] in page
    assert 'name="q"' in page  # the search box


def test_list_is_newest_first_with_category_summary_icons_and_date(client, ann):
    make_article(ann, "Older piece", age_days=3)
    make_article(ann, "Newer piece", pdf=b"%PDF-1.4 fake")
    page = client.get("/articles").get_data(as_text=True)
    assert page.index("Newer piece") < page.index("Older piece")
    assert "Summary of Newer piece." in page and "Science" in page
    assert "icon-pdf" in page and "icon-email" in page
    assert datetime.date.today().strftime("%Y") in page


def test_list_is_paginated(client, ann):
    for i in range(23):
        make_article(ann, f"Piece {i:02d}", text="Short text.", age_days=30 - i)
    first = client.get("/articles").get_data(as_text=True)
    second = client.get("/articles?page=2").get_data(as_text=True)
    assert "Piece 22" in first and "Piece 03" in first and "Piece 02" not in first
    assert "Piece 02" in second and "Piece 00" in second and "Piece 22" not in second
    assert "Page 2 of 2" in second


def test_detail_shows_summary_text_sources_and_metadata(client, ann):
    article = make_article(ann, pdf=b"%PDF-1.4 fake")
    page = client.get(f"/articles/{article.id}").get_data(as_text=True)
    assert "Summary of Kelp forests." in page and "sea urchins" in page
    assert "report.pdf" in page and "ann@example.com" in page and "Passages" in page
    pdf = Source.get(Source.type == "pdf")
    with client.get(f"/articles/{article.id}/sources/{pdf.id}") as download:
        assert download.status_code == 200 and download.data == b"%PDF-1.4 fake"
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.mimetype == "application/pdf"


def test_edit_title_summary_category(client, ann):
    article = make_article(ann)
    form = {"title": "Kelp, revised", "summary": "New summary", "category": "culture",
            "text": article.content_text, **csrf_headers_form(client)}
    resp = client.post(f"/articles/{article.id}/edit", data=form)
    assert resp.status_code == 302
    fresh = Article.get_by_id(article.id)
    assert (fresh.title, fresh.summary, fresh.category) == ("Kelp, revised", "New summary",
                                                            "culture")


def test_editing_text_rechunks_and_reembeds_through_the_worker(app, client, ann):
    article = make_article(ann)
    before = [c.content for c in Chunk.select().where(Chunk.article == article.id)]
    new_text = "Seagrass meadows store carbon in their sediment for millennia. " * 40
    form = {"title": article.title, "summary": "", "category": "science", "text": new_text,
            **csrf_headers_form(client)}
    client.post(f"/articles/{article.id}/edit", data=form)
    assert Article.get_by_id(article.id).metadata["reindex_pending"] is True
    run_jobs(app)
    chunks = list(Chunk.select().where(Chunk.article == article.id).order_by(Chunk.idx))
    assert chunks and [c.content for c in chunks] != before
    assert all("Seagrass" in c.content and len(c.embedding) == 384 for c in chunks)
    assert [c.idx for c in chunks] == list(range(len(chunks)))
    assert Article.get_by_id(article.id).metadata["reindex_pending"] is False


def test_reindex_is_idempotent(app, ann):
    from app.ingest.reindex import reindex_article
    article = make_article(ann)
    first = [(c.idx, c.content) for c in Chunk.select().where(Chunk.article == article.id)]
    assert reindex_article(article.id) == len(first)
    again = [(c.idx, c.content) for c in Chunk.select().where(Chunk.article == article.id)]
    assert sorted(again) == sorted(first)
    assert reindex_article(999999) is None


def test_edit_validation_names_the_fields(client, ann):
    article = make_article(ann)
    form = {"title": " ", "summary": "", "category": "astrology", "text": "x",
            **csrf_headers_form(client)}
    resp = client.post(f"/articles/{article.id}/edit", data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Title must not be empty" in page and "Category must be one of" in page
    assert Article.get_by_id(article.id).title == "Kelp forests"


def test_forms_carry_a_csrf_token_and_posts_without_it_are_refused(client, ann):
    article = make_article(ann)
    for path in (f"/articles/{article.id}/edit", f"/articles/{article.id}/delete"):
        assert 'name="csrf_token"' in client.get(path).get_data(as_text=True)
    resp = client.post(f"/articles/{article.id}/delete", data={})
    assert resp.status_code == 400
    assert Article.get_or_none(Article.id == article.id) is not None


def test_delete_removes_chunks_sources_originals_and_old_files(app, client, ann):
    """Originals in the database go with their sources; a file stored before migration
    0008 is removed from disk, with its emptied folders but not STORAGE_DIR."""
    article = make_article(ann, pdf=b"%PDF-1.4 fake")
    _, path = legacy_file(article, b"%PDF-1.4 old")
    keep = make_article(ann, "Keep me", pdf=b"%PDF-1.4 keep")
    _, kept_path = legacy_file(keep, b"%PDF-1.4 old, kept")
    resp = client.post(f"/articles/{article.id}/delete", data=csrf_headers_form(client))
    assert resp.status_code == 302
    assert Article.get_or_none(Article.id == article.id) is None
    assert Chunk.select().where(Chunk.article == article.id).count() == 0
    assert Source.select().where(Source.article == article.id).count() == 0
    assert [bytes(f.data) for f in SourceFile.select()] == [b"%PDF-1.4 keep"]
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))
    assert os.path.isdir(app.config["STORAGE_DIR"]) and os.path.exists(kept_path)
    assert Chunk.select().where(Chunk.article == keep.id).count() > 0


def test_pages_require_login(client):
    resp = client.get("/articles")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_hostile_email_is_shown_as_text_never_markup(app, client):
    payload = {"type": "inbound.message", "data": {
        "id": "evil-1", "from": {"email": "mallory@example.com"},
        "subject": 'Invoice <script>alert("subject")</script>',
        "text": "Read this: " + HOSTILE, "html": HOSTILE, "attachments": []}}
    assert post_webhook(client, payload).status_code == 202
    run_jobs(app)
    login(client, User.get(User.email == "mallory@example.com"))
    article = Article.get()
    for path in ("/articles", f"/articles/{article.id}", f"/articles/{article.id}/edit"):
        resp = client.get(path)
        page = resp.get_data(as_text=True)
        assert "<script>alert" not in page, path
        assert "<img src=x onerror" not in page and 'href="javascript:' not in page, path
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    detail = client.get(f"/articles/{article.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in detail


def test_search_box_hook_calls_app_search(client, ann, monkeypatch):
    import importlib
    search = importlib.import_module("app.search")
    seen = []
    monkeypatch.setattr(search, "search", lambda uid, q, limit: seen.append((uid, q)) or [],
                        raising=False)
    assert client.get("/articles?q=kelp").status_code == 200
    assert seen == [(ann.id, "kelp")]


def csrf_headers_form(client):
    """The CSRF token as a form field, as the browser sends it."""
    return {"csrf_token": csrf_headers(client)["X-CSRF-Token"]}
