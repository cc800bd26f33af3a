"""The whole path: signed webhook → stored event → worker → article, sources, chunks, email."""
import base64

from app.models import Article, Chunk, InboundEvent, Source, SourceFile, User
from tests.conftest import post_webhook, run_jobs
from tests.factories import message


def test_webhook_to_article_with_chunks_and_confirmation(app, client, smtp_server):
    resp = post_webhook(client, message())
    assert resp.status_code == 202
    assert InboundEvent.get().status == "received"

    run_jobs(app)

    article = Article.get()
    assert article.title == "Tidal power in Scotland"
    assert article.user.email == "ann.reader@example.com"
    assert article.summary and article.category in ("science", "technology", "business")
    chunks = list(Chunk.select().where(Chunk.article == article).order_by(Chunk.idx))
    assert len(chunks) >= 2
    assert all(len(c.embedding) == 384 for c in chunks)
    assert InboundEvent.get().status == "done"
    mail = smtp_server.wait_for(1)
    assert mail[0]["To"] == "ann.reader@example.com"
    assert "Tidal power in Scotland" in mail[0]["Subject"]


def test_pdf_attachment_is_extracted_and_stored(app, client):
    from fpdf import FPDF
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Quarterly report on photovoltaic efficiency gains. " * 20)
    data = bytes(pdf.output())
    att = {"file_name": "report.pdf", "content_type": "application/pdf",
           "content_disposition": "attachment", "size": len(data),
           "content": base64.b64encode(data).decode()}
    assert post_webhook(client, message(attachments=[att])).status_code == 202
    run_jobs(app)
    pdf_source = Source.get(Source.type == "pdf")
    assert "photovoltaic" in pdf_source.raw_text
    assert pdf_source.error is None
    assert pdf_source.size == len(data)
    assert bytes(SourceFile.get(SourceFile.source == pdf_source.id).data) == data
    assert User.select().count() == 1
