"""Attachment originals in PostgreSQL (migration 0008): stored by the worker, served by any
web host without STORAGE_DIR, stored once per source, deleted with their article; files
stored before 0008 still served from disk while this host has them."""
import hashlib
import os
import shutil

import pytest

from app.ingest.jobs import ingest_event
from app.models import Article, Chunk, InboundEvent, Source, SourceFile, User
from tests.conftest import csrf_headers, login, post_webhook, run_jobs
from tests.factories import legacy_file, make_article, message, user
from tests.hostile_pdfs import attachment, pdf_pages

# A real PDF of several kB (its text is read by the sandboxed parser), with bytes past its
# end that a reader must not lose: a download spans several slices (SLICE is set small).
PDF = pdf_pages(["Kelp forests off Tasmania", "Urchins graze the kelp"]) + os.urandom(20_000)


@pytest.fixture
def ingested(app, client, config, tmp_path, monkeypatch):
    """An email with a PDF attachment, ingested by the worker on a host whose STORAGE_DIR
    is then gone, as if the web app ran elsewhere. Returns (article, pdf source)."""
    monkeypatch.setattr("app.articles.originals.SLICE", 4096)
    storage = tmp_path / "storage"
    storage.mkdir()
    config(STORAGE_DIR=str(storage))
    pdf = attachment("Kelp report.pdf", "application/pdf", PDF)
    assert post_webhook(client, message(attachments=[pdf])).status_code == 202
    run_jobs(app)
    assert list(storage.iterdir()) == []  # the worker wrote no file
    shutil.rmtree(storage)
    article = Article.get()
    assert "Urchins graze the kelp" in article.content_text
    return article, Source.get(Source.article == article.id, Source.type == "pdf")


def download(client, article, source, **headers):
    return client.get(f"/articles/{article.id}/sources/{source.id}", headers=headers)


def test_the_owner_downloads_the_original_from_the_database(client, ingested, monkeypatch):
    from app.articles import originals
    article, source = ingested
    login(client, User.get(User.email == "ann.reader@example.com"))
    read, real = [], originals._slice
    monkeypatch.setattr(originals, "_slice", lambda *a: read.append(a[2]) or real(*a))
    resp = download(client, article, source)
    assert resp.status_code == 200 and resp.data == PDF
    assert max(read) == originals.SLICE and sum(read) == len(PDF)  # never the whole file
    assert resp.mimetype == "application/pdf" and resp.content_length == len(PDF)
    assert resp.headers["Content-Disposition"] == 'attachment; filename="Kelp report.pdf"'
    assert resp.headers["Cache-Control"] == "no-cache, max-age=0" and resp.expires
    assert resp.headers["ETag"] == f'"{hashlib.sha256(PDF).hexdigest()}"'
    detail = client.get(f"/articles/{article.id}").get_data(as_text=True)
    assert f"/sources/{source.id}" in detail
    api = client.get(f"/api/articles/{article.id}").get_json()["sources"]
    assert [s["download_url"] is not None for s in api] == [False, True]


def test_ranges_and_revalidation_work_as_for_a_file(client, ingested):
    article, source = ingested
    login(client, User.get(User.email == "ann.reader@example.com"))
    part = download(client, article, source, Range="bytes=5000-9999")
    assert part.status_code == 206 and part.data == PDF[5000:10000]
    assert part.headers["Content-Range"] == f"bytes 5000-9999/{len(PDF)}"
    etag = download(client, article, source).headers["ETag"]
    assert download(client, article, source, **{"If-None-Match": etag}).status_code == 304


def test_another_user_gets_404(client, ingested):
    article, source = ingested
    login(client, user("bob@example.com"))
    assert download(client, article, source).status_code == 404
    own = make_article(user("bob@example.com"))  # nor through an article of their own
    assert download(client, own, source).status_code == 404


def test_running_the_job_again_stores_no_second_copy(app, ingested):
    from app.ingest.store import save_original
    article, source = ingested
    event = InboundEvent.get()
    InboundEvent.update(status="received").execute()  # as a sweep or replay would
    assert ingest_event(event.id) == article.id
    save_original(source.id, b"other bytes")  # a second write keeps the first
    assert [(f.source_id, f.size, bytes(f.data)) for f in SourceFile.select()] == [
        (source.id, len(PDF), PDF)]
    assert Source.select().count() == 2 and Article.select().count() == 1


def test_a_failed_write_keeps_no_original_and_the_retry_stores_one(app, client, monkeypatch):
    """Originals are written in the article's transaction: an attempt that fails after
    them (here: writing the chunks) rolls them back, and its retry stores them once."""
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    pdf = attachment("report.pdf", "application/pdf", PDF)
    post_webhook(client, message(attachments=[pdf]))
    with monkeypatch.context() as patch:
        patch.setattr(Chunk, "insert_many", broken)
        run_jobs(app)
    assert InboundEvent.get().status == "failed" and "disk full" in InboundEvent.get().last_error
    assert SourceFile.select().count() == 0 and Source.select().count() == 0
    assert ingest_event(InboundEvent.get().id) == Article.get().id
    assert [bytes(f.data) for f in SourceFile.select()] == [PDF]


@pytest.mark.parametrize("how", ["page", "api"])
def test_deleting_the_article_deletes_its_originals(client, ingested, how):
    article, _ = ingested
    keep = make_article(user("bob@example.com"), pdf=b"%PDF-1.4 bob's")
    login(client, User.get(User.email == "ann.reader@example.com"))
    token = csrf_headers(client)
    if how == "page":
        resp = client.post(f"/articles/{article.id}/delete",
                           data={"csrf_token": token["X-CSRF-Token"]})
    else:
        resp = client.delete(f"/api/articles/{article.id}", headers=token)
    assert resp.status_code in (302, 204)
    assert [f.source_id for f in SourceFile.select()] == [
        Source.get(Source.article == keep.id, Source.type == "pdf").id]


def test_a_file_stored_before_0008_is_served_while_this_host_has_it(app, client):
    ann = user()
    login(client, ann)
    article = make_article(ann)
    source, path = legacy_file(article, b"%PDF-1.4 from an older release")
    resp = download(client, article, source)
    assert resp.status_code == 200 and resp.data == b"%PDF-1.4 from an older release"
    assert resp.headers["Content-Disposition"] == "attachment; filename=old.pdf"
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Cache-Control"] == "no-cache, max-age=0" and resp.expires
    resp.close()
    os.remove(path)  # another host, or a lost file
    assert download(client, article, source).status_code == 404


def test_migration_0008_adds_the_table_beside_files_already_stored(app, clean):
    """Applied to a schema at 0007 holding a source stored as a file: that source is left
    as it was, and the new table keeps its bytes uncompressed and out of line (slices
    read only the TOAST chunks they cover)."""
    from app.db import db
    from app.migrations import migrate
    article = make_article(user())
    source, path = legacy_file(article, b"%PDF-1.4 before")
    db.execute_sql("DROP TABLE source_files; DELETE FROM schema_migrations WHERE version = 8")
    assert migrate({"dimensions": 384}, log=lambda *_: None) == [8]
    assert Source.get_by_id(source.id).path and os.path.exists(path)
    storage = db.execute_sql("SELECT attstorage FROM pg_attribute WHERE attrelid = "
                             "'source_files'::regclass AND attname = 'data'").fetchone()
    assert storage == ("e",)


def test_the_table_refuses_a_size_or_digest_that_is_not_the_bytes(app, clean):
    import peewee

    from app.db import db
    source = Source.create(article=make_article(user()), type="pdf", name="x.pdf")
    for size, digest in ((3, hashlib.sha256(b"abcd").hexdigest()), (4, "not-a-digest")):
        with pytest.raises(peewee.IntegrityError), db.atomic():
            SourceFile.create(source=source, data=b"abcd", size=size, sha256=digest)
