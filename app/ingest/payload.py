"""Validating a MailerSend delivery and reading what ingestion needs from it.

Every field may be missing or null (the SPEC says so); only a sender is indispensable.
"""
import email
import email.policy
import json

from app.models import normalise_email


class InvalidPayload(ValueError):
    def __init__(self, reason, message, message_id=None):
        super().__init__(message)
        self.reason, self.message_id = reason, message_id


def decode_json(raw):
    """The body as a JSON object; stray non-UTF-8 bytes are replaced, not fatal."""
    try:
        body = json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise InvalidPayload("bad_json", f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidPayload("bad_json", "body must be a JSON object")
    return body


def parse_delivery(raw):
    """Fields to store for an inbound message; None for a `webhook.test` ping."""
    body = decode_json(raw)
    kind = body.get("type")
    if kind == "webhook.test":
        return None
    data = body.get("data")
    if kind != "inbound.message" or not isinstance(data, dict):
        raise InvalidPayload("bad_payload", "expected type inbound.message with a data object")
    data_id = data.get("id") or body.get("inbound_id")
    if not isinstance(data_id, str | int) or not str(data_id).strip():
        raise InvalidPayload("bad_payload", "data.id is missing")
    sender = sender_of(data)
    if sender is None:
        raise InvalidPayload("no_sender", "no usable sender address in data.from, data.sender "
                             "or the raw message", message_id=str(data_id))
    return {"provider_message_id": str(data_id)[:200], "sender": sender,
            "message_id": message_id_of(data), "subject": _str(data.get("subject"))[:500]}


def _str(value):
    return value if isinstance(value, str) else ""


def _obj(value):
    return value if isinstance(value, dict) else {}


def sender_of(data):
    """The normalised sender: from.email, then sender.email, then from.raw, then raw From:."""
    candidates = [_obj(data.get("from")).get("email"), _obj(data.get("sender")).get("email"),
                  _obj(data.get("from")).get("raw")]
    if isinstance(data.get("raw"), str):
        candidates.append(parse_raw(data["raw"]).get("From"))
    for value in candidates:
        if isinstance(value, str) and (addr := normalise_email(value)):
            return addr
    return None


def message_id_of(data):
    """Message-ID lives only in `headers` (repeated headers are arrays)."""
    headers = _obj(data.get("headers"))
    for key, value in headers.items():
        if key.lower() == "message-id":
            value = value[0] if isinstance(value, list) and value else value
            return value.strip()[:500] if isinstance(value, str) and value.strip() else None
    return None


def parse_raw(raw):
    """The RFC 822 message in data.raw (or an imported .eml). The lenient compat32 policy:
    the structured header parser of policy.default raises on malformed real-world headers."""
    return email.message_from_string(raw, policy=email.policy.compat32)
