"""The hostile-mail corpus: each attack found against a running instance, as a fixture with
its outcome (held, filed with the hostile part made safe, or a 4xx) and nothing lost."""
import hashlib
import json

import pytest

from app.models import Article, InboundEvent, Source, User
from tests.conftest import post_webhook, run_jobs, sign
from tests.factories import TURBINES

ANN = {"email": "ann@example.com", "name": "Ann"}
ATTACKER = {"sender": {"email": "bounce@attacker.net"}, "spf_check": {"code": "-"},
            "dkim_check": False}


def delivery(n, **data):
    base = {"id": f"hostile-{n}", "from": ANN, "subject": "Tidal power", "text": TURBINES}
    return {"type": "inbound.message", "data": {**base, **data}}


# (name, payload, authenticated by SPF, held reason fragment)
HELD = [
    ("forged From: of an existing user", delivery(1, **ATTACKER), False, "spf fail"),
    ("DKIM verified for the attacker's domain",
     delivery(2, dkim_check=True, headers={"DKIM-Signature": "v=1; d=attacker.net; s=k"}),
     False, "not aligned"),
    ("a bogus victim signature beside the attacker's valid one",
     delivery(3, dkim_check=True, headers={"DKIM-Signature": [
         "v=1; d=example.com; s=k", "v=1; d=attacker.net; s=k"]}), False, "not aligned"),
    ("Authentication-Results written by the sender",
     delivery(4, headers={"Authentication-Results": "mx.mailersend.net; dkim=pass "
                                                    "header.d=example.com"}), False, "dkim none"),
    ("Received-SPF written by the sender",
     delivery(5, headers={"Received-SPF": "pass (domain of ann@example.com)"}), False, "spf none"),
    ("SPF passes for a look-alike domain",
     delivery(6, sender={"email": "x@example.com.attacker.net"}, spf_check={"code": "+"}), False,
     "not aligned"),
]


@pytest.mark.parametrize("name, payload, authenticated, reason", HELD, ids=[h[0] for h in HELD])
def test_unproven_mail_is_held_with_its_reason(app, client, smtp_server, name, payload,
                                               authenticated, reason):
    User.get_or_create_by_email("ann@example.com")
    body = json.dumps(payload).encode()
    assert post_webhook(client, None, raw=body).status_code == 202
    run_jobs(app)
    event = InboundEvent.get()
    assert event.status == "held" and reason in event.hold_reason, event.hold_reason
    assert bytes(event.raw_body) == body
    assert Article.select().count() == 0 and smtp_server.messages == []


# (name, data fields; the delivery is otherwise a proven sender's)
FILED = [
    ("NUL in subject", {"subject": "Tidal\x00 power"}),
    ("NUL in Message-ID", {"headers": {"Message-ID": "<a\x00b@example.com>"}}),
    ("NUL in data.id", {"id": "hostile-\x00-id"}),
    ("NUL in a new sender's name", {"from": {"email": "new@example.com", "name": "N\x00ew"}}),
    ("NUL in date", {"date": "Mon, 1 Jan 2024\x00"}),
    ("NUL in an attachment's name and type",
     {"attachments": [{"file_name": "a\x00.txt", "content_type": "text/plain\x00",
                       "content": "aGVsbG8gd29ybGQ="}]}),
    ("numeric attachment fields",
     {"attachments": [{"file_name": 7, "content_type": 12, "content": "aGVsbG8="}]}),
    ("a lone surrogate in the subject", {"subject": "Tidal \ud800 power"}),
    ("CRLF in the subject", {"subject": "Tidal power\r\nBcc: victim@example.org"}),
    ("a 10,000-character display name", {"from": {"email": "long@example.com",
                                                  "name": "N" * 10000}}),
]


@pytest.mark.parametrize("name, fields", FILED, ids=[f[0] for f in FILED])
def test_odd_characters_are_made_safe_and_the_mail_filed(app, client, smtp_server, name,
                                                         fields):
    payload = delivery(10, **fields)
    assert post_webhook(client, payload).status_code == 202
    run_jobs(app)
    event = InboundEvent.get()
    assert event.status == "done", event.last_error
    article = Article.get()
    assert "\x00" not in article.title + json.dumps(article.metadata)
    assert all("\x00" not in (s.name + (s.content_type or "")) for s in Source.select())
    assert all(len(u.display_name or "") <= 100 for u in User.select())
    mail = smtp_server.wait_for(1)[0]  # the confirmation goes out, one header line
    assert "\n" not in mail["Subject"] and mail["Bcc"] is None


def test_unparseable_signed_body_is_kept_byte_for_byte(client):
    body = b'\x00\xff{"type": "inbound.message", "data": {'
    resp = post_webhook(client, None, raw=body)
    assert resp.status_code == 400 and resp.get_json()["status"] == "bad_json"
    event = InboundEvent.get()
    assert bytes(event.raw_body) == body and event.status == "rejected"
    assert event.provider_message_id == "sha256:" + hashlib.sha256(body).hexdigest()
    assert post_webhook(client, None, raw=body).status_code == 400  # a retry adds nothing
    assert InboundEvent.select().count() == 1


def test_unsigned_body_is_not_stored(client):
    body = b'{"type": "inbound.message"}'
    assert client.post("/webhooks/mailersend", data=body,
                       headers={"Signature": sign(body)[::-1]}).status_code == 401
    assert InboundEvent.select().count() == 0
