"""Hostile parts through the whole path (issue #10): webhook → worker → article. A part over
a limit is stored as a source with its reason, and the article is made from the rest."""
import base64
import time

import pytest

from app.models import Article, InboundEvent, Source, SourceFile
from tests.conftest import post_webhook, run_jobs
from tests.factories import message
from tests.hostile_pdfs import attachment, pdf_bomb, pdf_pages


@pytest.fixture(autouse=True)
def open_policy(config):
    """Ownership is tested elsewhere (test_sender_trust): From: as is."""
    config(INBOUND_SENDER_POLICY="open")


def deliver(app, client, **data):
    assert post_webhook(client, message(**data)).status_code == 202
    started = time.monotonic()
    run_jobs(app)
    return time.monotonic() - started


def sources():
    return {s.name: s for s in Source.select().order_by(Source.id)}


def test_pdf_bomb_leaves_the_body_as_the_article(app, client):
    seconds = deliver(app, client, attachments=[attachment("report.pdf", "application/pdf",
                                                           pdf_bomb())])
    assert seconds < 60  # the job timeout is 180 s; unbounded pypdf ran 158 s on #10's file
    assert InboundEvent.get().status == "done"
    article = Article.get()
    assert "Pentland Firth" in article.content_text and article.chunks.count() >= 2
    pdf = sources()["report.pdf"]
    assert pdf.error.startswith("pages 1–4: LimitReachedError") and pdf.raw_text == ""
    stored = SourceFile.get(SourceFile.source == pdf.id)  # the original itself is kept
    assert pdf.size == stored.size == len(pdf_bomb())
    assert pdf.metadata["extraction"]["peak_rss_mb"] < 1024


def test_cpu_limit_keeps_the_pages_read_before_it(app, client, config):
    config(EXTRACT_CPU_SECONDS=2)
    data = pdf_pages(["Kelp forests need cold water", "Urchins graze kelp to rock"], heavy=1)
    deliver(app, client, attachments=[attachment("kelp.pdf", "application/pdf", data)])
    pdf = sources()["kelp.pdf"]
    assert pdf.error == "CPU limit of 2 s reached (pages 1–2 kept)"
    assert "Urchins graze kelp" in pdf.raw_text
    assert "Urchins graze kelp" in Article.get().content_text


def test_attachment_count_and_size_limits_are_recorded(app, client, config):
    config(INGEST_MAX_ATTACHMENTS=3, INGEST_MAX_ATTACHMENT_BYTES=1024 * 1024)
    notes = [attachment(f"note-{i}.txt", "text/plain", f"Sea otter note {i}".encode())
             for i in range(4)]
    big = attachment("scan.pdf", "application/pdf", b"%PDF-1.4 " + b"0" * (1024 * 1024))
    deliver(app, client, attachments=[big, *notes])
    found = sources()
    assert found["scan.pdf"].error == "attachment over 1 MB: not read"
    assert found["scan.pdf"].path is None and found["scan.pdf"].size == 0
    assert found["note-2.txt"].error == "over 3 attachments: skipped"
    assert found["note-3.txt"].error == "over 3 attachments: skipped"
    assert "Sea otter note 1" in Article.get().content_text
    assert "Sea otter note 2" not in Article.get().content_text


def test_a_huge_html_body_is_cut_and_still_makes_the_article(app, client, config):
    config(INGEST_MAX_PART_CHARS=50_000)
    html = "<p>Otters crack urchins on their chests with stones.</p>" * 30_000
    deliver(app, client, text="View in your browser.", html=html)
    email = Source.get(Source.type == "email")
    assert email.error == "over 50,000 characters: truncated"
    assert len(email.raw_text) <= 50_000 and "Otters crack urchins" in Article.get().content_text
    assert InboundEvent.get().status == "done"


def test_odd_attachment_fields_do_not_fail_the_event(app, client):
    atts = [{"file_name": 7, "content_type": 3.5, "content": None},
            {"file_name": "nul\x00name.txt", "content_type": "text/plain\x00", "content":
             base64.b64encode(b"Kelp\x00 grows fast").decode()},
            {"file_name": None, "content_type": ["application/pdf"], "content": ["x"]},
            {"file_name": "x.pdf", "content_type": None, "content": None},
            [], "attachment", None]
    deliver(app, client, attachments=atts)
    assert InboundEvent.get().status == "done"
    found = sources()
    assert found["nulname.txt"].raw_text == "Kelp grows fast"
    assert found["x.pdf"].error.startswith("could not read PDF")
    assert "Pentland Firth" in Article.get().content_text
