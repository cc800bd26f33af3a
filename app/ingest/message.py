"""From a delivery's `data` object to a title, the parts to index, and metadata."""
import re
from dataclasses import dataclass, field

from app.ingest.extract import (
    Part,
    html_text,
    payload_entries,
    plain_text,
    raw_message_items,
    read_attachments,
)
from app.ingest.limits import Limits

_FWD = re.compile(r"^\s*((fwd?|fw|re|tr|wg)\s*:\s*)+", re.IGNORECASE)


@dataclass
class Message:
    title: str
    parts: list
    skipped: list = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    @property
    def text(self):
        """All readable text, body first, then attachments in order."""
        return "\n\n".join(p.raw_text for p in self.parts if p.raw_text).strip()


def _s(value):
    return value if isinstance(value, str) else ""


def read_message(data, cfg=None):
    """Title, the email body and attachments as Parts, and the message's metadata, read
    within the Config's limits (docs/limits.md): the body first, then the attachments."""
    limits = Limits.from_config(cfg).start()
    text, html = _s(data.get("text")), _s(data.get("html"))
    attachments = payload_entries(data.get("attachments"))
    if not (text or html or any(a.kind for a in attachments)) and _s(data.get("raw")):
        text, html, attachments = raw_message_items(data["raw"])
    body, ctype, error = _body(text, html, limits)
    parts, skipped = read_attachments(attachments, limits.spend(len(body)))
    subject = _s(data.get("subject")).strip()
    email_part = Part("email", subject or "(no subject)", body, ctype, error=error)
    title = _title(subject, body, parts)
    return Message(title, [email_part, *parts], skipped, _metadata(data))


def _body(text, html, limits):
    """(text, content type, error): the plain part, unless the HTML part says much more:
    newsletters often ship a stub ("view this email in your browser") as their text/plain
    alternative."""
    plain, plain_error = plain_text(text, limits)
    rich, rich_error = html_text(html, limits) if html else ("", None)
    if len(rich) > 1.5 * len(plain) + 200:
        return rich, "text/html", rich_error
    if rich_error:  # the HTML may have lost only because it hit a limit: say so
        plain_error = "; ".join(filter(None, [plain_error, f"HTML alternative: {rich_error}"]))
    return plain, "text/plain", plain_error


def _title(subject, body, parts):
    title = _FWD.sub("", subject).strip()
    if not title and body:
        title = body[:1000].splitlines()[0]
    if not title and parts:
        title = parts[0].name
    return (title or "(untitled)")[:300]


def _metadata(data):
    frm = data.get("from") if isinstance(data.get("from"), dict) else {}
    spf = data.get("spf_check") if isinstance(data.get("spf_check"), dict) else {}
    return {"from": _s(frm.get("raw")) or _s(frm.get("email")), "date": _s(data.get("date")),
            "spf": _s(spf.get("code")), "dkim": data.get("dkim_check") is True,
            "provider_id": str(data.get("id") or "")}
