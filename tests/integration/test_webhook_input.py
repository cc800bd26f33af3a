"""Bad input at the webhook: a clear status, a JSON error, and nothing lost."""
import base64
import json

from app.models import Article, InboundEvent, Source
from tests.conftest import authenticate, post_webhook, run_jobs
from tests.factories import message


def test_missing_or_wrong_signature_is_401_and_stores_nothing(client):
    assert post_webhook(client, message(), signature="").status_code == 401
    resp = post_webhook(client, message(), signature="00" * 32)
    assert resp.status_code == 401
    assert resp.get_json()["status"] == "bad_signature"
    assert InboundEvent.select().count() == 0


def test_webhook_test_ping_is_200(client):
    resp = post_webhook(client, {"type": "webhook.test"})
    assert resp.status_code == 200
    assert InboundEvent.select().count() == 0


def test_oversized_body_is_413_json(app, client):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    resp = post_webhook(client, None, raw=big)
    assert resp.status_code == 413
    assert resp.is_json and resp.get_json()["status"] == 413


def test_broken_json_is_400_and_kept_as_rejected(client):
    resp = post_webhook(client, None, raw=b'{"type": "inbound.message", "data": {')
    assert resp.status_code == 400
    assert resp.get_json()["status"] == "bad_json"
    event = InboundEvent.get()
    assert event.status == "rejected" and "not valid JSON" in event.last_error


def test_no_usable_sender_is_400_and_kept_as_rejected(client):
    resp = post_webhook(client, message(**{"from": {"email": None, "name": "x"}, "sender": None}))
    assert resp.status_code == 400
    assert resp.get_json()["status"] == "no_sender"
    event = InboundEvent.get()
    assert event.status == "rejected" and "sender" in event.last_error


def test_spec_shape_with_missing_and_null_fields(app, client):
    payload = {"type": "inbound.message", "inbound_id": None, "created_at": None,
               "data": {"id": "null-fields", "from": {"email": "n@example.org", "name": None,
                                                      "raw": None},
                        "sender": None, "recipients": None, "subject": None, "date": None,
                        "headers": None, "text": "Just a short note about sourdough starters.",
                        "html": None, "raw": None, "attachments": None, "spf_check": None,
                        "dkim_check": None}}
    assert post_webhook(client, payload).status_code == 202
    run_jobs(app)
    article = Article.get()
    assert article.title.startswith("Just a short note")
    assert InboundEvent.get().status == "done"


def test_sender_falls_back_to_raw_message(app, client):
    raw = "From: Raw Sender <Raw@Example.net>\r\nSubject: raw only\r\n\r\nBody from raw.\r\n"
    assert post_webhook(client, message(**{"from": None, "text": None, "raw": raw})).status_code \
        == 202
    run_jobs(app)
    article = Article.get()
    assert article.user.email == "raw@example.net"
    assert "Body from raw" in article.content_text


def test_duplicate_delivery_makes_exactly_one_article(app, client):
    assert post_webhook(client, message()).status_code == 202
    assert post_webhook(client, message()).status_code == 200
    run_jobs(app)
    assert post_webhook(client, message()).status_code == 200
    run_jobs(app)
    assert Article.select().count() == 1
    assert InboundEvent.select().count() == 1


def test_same_message_id_under_a_new_provider_id_is_a_duplicate(app, client):
    headers = {"Message-ID": "<abc@example.com>"}
    assert post_webhook(client, message(id="a", headers=headers)).status_code == 202
    assert post_webhook(client, message(id="b", headers=headers)).status_code == 200
    run_jobs(app)
    assert Article.select().count() == 1


def _attachment(name, ctype, data):
    return {"file_name": name, "content_type": ctype, "size": len(data),
            "content_disposition": "attachment", "content": base64.b64encode(data).decode()}


def test_corrupt_and_encrypted_pdfs_are_recorded_on_the_source(app, client):
    from fpdf import FPDF
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "secret plans")
    pdf.set_encryption(owner_password="owner", user_password="user")
    encrypted = bytes(pdf.output())
    atts = [_attachment("broken.pdf", "application/pdf", b"%PDF-1.4 garbage \x00\xff"),
            _attachment("locked.pdf", "application/pdf", encrypted)]
    assert post_webhook(client, message(attachments=atts)).status_code == 202
    run_jobs(app)
    article = Article.get()  # the article still exists, built from the body
    assert "Pentland" in article.content_text
    errors = {s.name: s.error for s in Source.select().where(Source.type == "pdf")}
    assert "could not read PDF" in errors["broken.pdf"] or "no extractable" in errors["broken.pdf"]
    assert "encrypted" in errors["locked.pdf"]


def test_non_utf8_text_is_decoded_not_lost(app, client):
    latin1 = "Café crème brûlée: the façade of naïve cooking.".encode("latin-1")
    atts = [_attachment("notes.txt", "text/plain; charset=iso-8859-1", latin1)]
    body = json.dumps(authenticate(message(attachments=atts))).encode()
    body = body.replace(b"Pentland Firth", b"Pentland Firth \xff\xfe")  # invalid UTF-8 bytes
    assert post_webhook(client, None, raw=body).status_code == 202
    run_jobs(app)
    text = Source.get(Source.name == "notes.txt").raw_text
    assert "Café crème brûlée" in text
    assert "Pentland Firth" in Article.get().content_text


def test_failed_event_is_recorded_and_replayed(app, client, monkeypatch):
    from app.ingest import jobs

    def boom(event, data, user, cfg):
        raise RuntimeError("embedding service exploded")

    monkeypatch.setattr(jobs, "build_article", boom)
    assert post_webhook(client, message()).status_code == 202
    # RQ's Retry schedules the next attempt in the future: the event is failed meanwhile.
    run_jobs(app)
    event = InboundEvent.get()
    assert event.status == "failed" and event.attempts == 1
    assert "embedding service exploded" in event.last_error

    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["events", "replay", "--all-failed"])
    assert "queued 1 event(s)" in result.output, result.output
    run_jobs(app)
    event = InboundEvent.get()
    # A replay is a person's decision: the attempts start again.
    assert event.status == "done" and event.attempts == 1 and event.last_error is None
    assert Article.select().count() == 1
