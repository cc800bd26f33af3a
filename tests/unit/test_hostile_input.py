"""Bounded parameters (app.params), safe mail headers (app.mail) and the token-redacting
access log (app.gunicorn_conf), without services."""
from email.message import EmailMessage

import pytest
from werkzeug.datastructures import MultiDict

from app.gunicorn_conf import redact
from app.mail import address, header_text
from app.params import MAX_ID, ParamError, Params, integer, text_problem


@pytest.mark.parametrize("value, expected", [
    ("7", 7), (7, 7), ("007", 7), ("0", None), ("²", None), ("١٢", None), ("-1", None),
    ("1e3", None), (" 7", None), (str(10**20), None), ("9" * 5000, None), (True, None),
    (7.0, None), (None, None), ([7], None), ("101", None)])
def test_integer_accepts_only_ascii_digits_in_range(value, expected):
    assert integer(value, 1, 100) == expected


@pytest.mark.parametrize("value, problem", [
    ("kelp", None), ("kelp\nsea", None), ("k" * 11, "at most 10"), (["k"], "a string"),
    (None, "a string"), ("a\x00b", "NUL"), ("\ud800", "invalid Unicode")])
def test_text_problem(value, problem):
    found = text_problem(value, 10)
    assert found is None if problem is None else problem in found


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\x1bb", "a\u2028b", "a\x85b"])
def test_single_line_text_refuses_breaks_and_controls(value):
    assert "line breaks" in text_problem(value, 10, single_line=True)
    assert text_problem(value, 10) is None


def test_params_collects_every_problem_then_names_them():
    args = Params(MultiDict({"page": "²", "per_page": str(10**20), "q": "kelp\x00"}))
    assert args.int("page", 1, 1, 10) == 1 and args.int("per_page", 20, 1, 100) == 20
    assert args.text("q", 100) == "" and args.int("absent", 3, 1, 10) == 3
    args.refuse("q", "is not searchable")  # the first problem found is the one named
    args.refuse("mode", "must be one of hybrid, lexical")
    with pytest.raises(ParamError) as caught:
        args.done()
    assert caught.value.code == 400
    assert set(caught.value.fields) == {"page", "per_page", "q", "mode"}
    assert "page must be an integer from 1 to 10" in caught.value.description
    assert "NUL" in caught.value.fields["q"]


def test_params_reads_json_objects_too():
    body = Params({"conversation_id": 12, "message": "hi"})
    assert body.int("conversation_id", None, 1, MAX_ID) == 12 and body.text("message", 9) == "hi"
    body.done()


@pytest.mark.parametrize("subject, expected", [
    ("Saved: Kelp\r\nBcc: eve@example.com", "Saved: Kelp Bcc: eve@example.com"),
    ("a\x00\x1b\tb\u2028c", "a b c"), ("  spaced   out  ", "spaced out"), (None, "")])
def test_header_text_collapses_controls(subject, expected):
    assert header_text(subject, 200) == expected


def test_header_text_is_bounded():
    text = header_text("k" * 1000, 200)
    assert len(text) == 200 and text.endswith("…")


def test_display_names_cannot_add_headers():
    msg = EmailMessage()
    msg["To"] = address(("Eve\r\nBcc: mallory@example.com", "ann@example.com"))
    msg["From"] = address(("A" * 500, "login@example.com"))
    msg["Subject"] = header_text("x\r\ny", 200)
    raw = msg.as_string()
    assert "Bcc" not in msg and "\nBcc:" not in raw
    assert msg["To"].addresses[0].addr_spec == "ann@example.com"
    assert len(msg["From"].addresses[0].display_name) <= 100
    assert address("ann@example.com") == "ann@example.com"


@pytest.mark.parametrize("line, expected", [
    ('GET /auth/callback?token=abc123 HTTP/1.1', 'GET /auth/callback?token=[redacted] HTTP/1.1'),
    ('/auth/callback?next=/a&token=abc&x=1', '/auth/callback?next=/a&token=[redacted]&x=1'),
    ('token=abc', 'token=[redacted]'), ('/articles?q=tokens', '/articles?q=tokens'),
    ('/x?mytoken=abc', '/x?mytoken=abc')])
def test_redact(line, expected):
    assert redact(line) == expected
