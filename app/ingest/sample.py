"""MailerSend-shaped payloads built from RFC 822 messages: for `simplr import`, the sample
command, tests and benchmarks. Mirrors the shape described in SPEC.md."""
import base64
import email
import email.policy
import hashlib
import hmac
import json
import uuid

SAMPLE = """From: Ada Lovelace <ada@example.com>
To: inbox@simplr.local
Subject: Fwd: The Analytical Engine weekly
Message-ID: <sample-{id}@example.com>
Content-Type: text/plain; charset=utf-8

The Analytical Engine weaves algebraic patterns just as the Jacquard loom weaves flowers
and leaves. This week: why a general-purpose computing machine needs conditional branching,
how punched cards store both programs and data, and what Babbage's difference engine could
not do. Notes on Bernoulli numbers are attached as an appendix in a later issue.
"""


def sign(body, secret):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _attachments(msg):
    out = []
    for part in msg.walk():
        if part.is_multipart() or not part.get_filename():
            continue
        data = part.get_payload(decode=True) or b""
        out.append({"file_name": part.get_filename(), "content_type": part.get_content_type(),
                    "content_disposition": "attachment", "size": len(data),
                    "content": base64.b64encode(data).decode()})
    return out


def _body(msg, subtype):
    part = msg.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError, KeyError):
        return (part.get_payload(decode=True) or b"").decode("latin-1")


def _header(msg, name):
    """A header's decoded value; the raw text when the stdlib parser chokes on it (real
    spam has Message-IDs that raise IndexError deep inside email._header_value_parser)."""
    try:
        return str(msg[name])
    except Exception:  # noqa: BLE001 - any parser failure falls back to the raw value
        return str(dict(msg.raw_items())[name])


def payload_from_message(raw, message_id=None, authenticated=False):
    """A webhook body (dict) for one raw RFC 822 message (bytes or str). `authenticated`:
    as MailerSend reports a sender whose SPF passes (envelope = From:); otherwise no
    authentication result at all, which is all a message file proves."""
    raw_bytes = raw if isinstance(raw, bytes) else raw.encode()
    msg = email.message_from_bytes(raw_bytes, policy=email.policy.default)
    headers = {k: _header(msg, k) for k in dict(msg.raw_items())}
    sender = email.utils.parseaddr(headers.get("From", ""))
    data = {"id": message_id or uuid.uuid4().hex,
            "from": {"email": sender[1], "name": sender[0], "raw": headers.get("From", "")},
            "sender": {"email": sender[1] if authenticated else None},
            "subject": headers.get("Subject", ""),
            "date": headers.get("Date", ""), "headers": headers,
            "text": _body(msg, "plain"), "html": _body(msg, "html"),
            "raw": raw_bytes.decode("utf-8", errors="replace"),
            "attachments": _attachments(msg),
            "spf_check": {"code": "+", "value": "pass"} if authenticated else None,
            "dkim_check": False}
    return {"type": "inbound.message", "inbound_id": uuid.uuid4().hex,
            "created_at": None, "data": data}


def encode(payload):
    return json.dumps(payload).encode()
