"""Pure parts of ingestion: payload validation, signatures, text extraction, chunking."""
import hashlib
import hmac
import json

import pytest

from app.ingest.chunking import chunk_text
from app.ingest.extract import html_to_text, pdf_text
from app.ingest.payload import InvalidPayload, message_id_of, parse_delivery, sender_of
from app.models.users import normalise_email
from app.webhooks import signature_ok


def test_signature_is_hex_hmac_sha256_of_the_raw_body():
    body, secret = b'{"a": 1}', "s3cret"
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert signature_ok(body, sig, secret)
    assert signature_ok(body, sig.upper(), secret)  # hex case is not significant
    assert not signature_ok(body + b" ", sig, secret)
    assert not signature_ok(body, "0" * 64, secret)
    assert not signature_ok(body, None, secret)


@pytest.mark.parametrize("raw,expected", [
    ("Ann <Ann@Example.COM>", "ann@example.com"), (" bob@x.org ", "bob@x.org"),
    ("not an address", None), ("", None), ("a@localhost", None)])
def test_normalise_email(raw, expected):
    assert normalise_email(raw) == expected


def test_sender_fallbacks_and_message_id_from_repeated_headers():
    assert sender_of({"from": None, "sender": {"email": "S@x.io"}}) == "s@x.io"
    assert sender_of({"from": {"raw": "Z <z@y.io>"}}) == "z@y.io"
    assert sender_of({"from": {"email": 5}}) is None
    assert message_id_of({"headers": {"message-id": ["<1@x>", "<2@x>"]}}) == "<1@x>"
    assert message_id_of({"headers": None}) is None


@pytest.mark.parametrize("body,reason", [
    (b"[]", "bad_json"), (b"nope", "bad_json"), (b'{"type": "inbound.message"}', "bad_payload"),
    (b'{"type": "inbound.message", "data": {"id": "1"}}', "no_sender")])
def test_invalid_payloads(body, reason):
    with pytest.raises(InvalidPayload) as exc:
        parse_delivery(body)
    assert exc.value.reason == reason


def test_webhook_test_ping_and_valid_delivery():
    assert parse_delivery(b'{"type": "webhook.test"}') is None
    body = {"type": "inbound.message", "data": {"id": 7, "from": {"email": "A@B.co"},
                                               "subject": None}}
    assert parse_delivery(json.dumps(body).encode()) == {
        "provider_message_id": "7", "sender": "a@b.co", "message_id": None, "subject": ""}


def test_html_to_text_drops_scripts_and_keeps_structure():
    html = "<html><head><title>Digest</title><style>p{}</style></head><body><p>One</p>" \
           "<script>alert(1)</script><ul><li>Two</li><li>Three</li></ul></body></html>"
    text = html_to_text(html)
    assert "alert" not in text and "p{}" not in text
    assert text.split() == ["Digest", "One", "Two", "Three"]


def test_html_title_is_kept_once():
    page = "<html><head><title>Tidal  news</title></head><body>{}</body></html>"
    assert html_to_text(page.format("<p>All quiet.</p>")) == "Tidal news\n\nAll quiet."
    assert html_to_text(page.format("<h1>Tidal news</h1><p>Big.</p>")).count("Tidal") == 1
    assert html_to_text(page.format("")) == "Tidal news"


def test_pdf_text_reports_garbage_instead_of_raising():
    text, error = pdf_text(b"definitely not a pdf")
    assert text == "" and error


def test_chunks_are_bounded_overlapping_and_sized():
    text = " ".join(f"Sentence number {i} has exactly nine words in it." for i in range(500))
    chunks, truncated = chunk_text(text, max_tokens=100, max_chunks=20)
    assert len(chunks) == 20 and truncated
    assert all(len(c.split()) <= 80 for c in chunks)
    assert chunks[0].split(".")[-2].strip() in chunks[1]  # one sentence of overlap
    assert chunk_text("", 100, 20) == ([], False)
    one, cut = chunk_text("word " * 1000, max_tokens=50, max_chunks=100)
    assert not cut and all(len(c.split()) <= 38 for c in one)


def test_html_part_wins_over_a_stub_text_part():
    from app.ingest.message import read_message
    html = "<p>" + "Long newsletter paragraph about rivers and their deltas. " * 30 + "</p>"
    msg = read_message({"subject": "Fwd: Rivers", "text": "View this email in your browser.",
                        "html": html})
    assert msg.title == "Rivers"
    assert "deltas" in msg.text and msg.parts[0].content_type == "text/html"
    plain = read_message({"subject": "x", "text": "Plain wins when it is complete. " * 10,
                          "html": "<p>Plain wins when it is complete.</p>"})
    assert plain.parts[0].content_type == "text/plain"


def test_malformed_real_world_headers_do_not_break_parsing():
    from app.ingest.message import read_message
    from app.ingest.sample import payload_from_message
    raw = ("From: Thema <othema2002@hotmail.com>\r\nMessage-Id: <>\r\n"
           "Subject: bank inheritance\r\nContent-Type: text/plain\r\n\r\nDear friend.\r\n")
    data = payload_from_message(raw)["data"]
    assert data["subject"] == "bank inheritance" and data["from"]["email"] == \
        "othema2002@hotmail.com"
    assert read_message({"raw": raw}).text == "Dear friend."
