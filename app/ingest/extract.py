"""Reading an inbound message's parts: body text, HTML and attachments (PDFs through pypdf),
each within the message's Limits (docs/limits.md).

A bad part, or one over a limit, is recorded on its source (`error`) and never sinks the
whole article. PDFs, and HTML too large to parse here, are read in a bounded child
(app.ingest.sandbox); the rest is cheap enough to read in this process.
"""
import base64
import binascii
import re
from dataclasses import dataclass, field

from app.ingest import sandbox
from app.ingest.limits import Limits, megabytes
from app.ingest.payload import parse_raw
from app.ingest.sandbox_child import html_fragments
from app.text import clean

# bs4's html.parser is roughly linear: ~1 ms and ~65 bytes of memory per byte of HTML
# (measured: 256 KB in 0.25 s and 17 MB, 4 MB in 4.7 s and 265 MB); the child costs ~0.1 s
# more. Below this size parsing here is bounded well enough and spares most emails (HTML
# bodies of 10–100 KB) that 0.1 s; at it, both paths cost about the same (bench extract);
# above it, the child's limits are worth their start-up.
HTML_IN_PROCESS = 256 * 1024  # characters
SKIPPED_NAMES = 100  # names of unreadable attachments kept in the article's metadata


@dataclass
class Part:
    type: str  # email | pdf | html | text
    name: str
    raw_text: str = ""
    content_type: str | None = None
    data: bytes | None = None  # stored as the source's original when set
    error: str | None = None
    metadata: dict = field(default_factory=dict)


@dataclass
class Attachment:
    """An attachment before it is read: enough to decide whether to read it."""
    name: str
    content_type: str
    size: int  # decoded bytes, or an upper estimate
    load: object  # () -> bytes; raises ValueError for undecodable content

    @property
    def kind(self):
        ctype = self.content_type.split(";")[0].strip().lower()
        if ctype == "application/pdf" or self.name.lower().endswith(".pdf"):
            return "pdf"
        if ctype in ("text/html", "application/xhtml+xml"):
            return "html"
        return "text" if ctype.startswith("text/") else None


def default_limits():
    return Limits.from_config().start()


def html_to_text(html):
    """Readable text of an HTML document; scripts, styles and the head dropped, except the
    <title>: a newsletter's headline, which its body does not always repeat."""
    title, text = html_fragments(html)
    return _titled(clean(title), clean(text))


def _titled(title, text):
    if title and title.lower() not in text[:500].lower():
        return f"{title}\n\n{text}" if text else title
    return text


def cut(text, limits):
    """(text, error): `text` within the part's character cap."""
    if len(text) <= limits.cap:
        return text, None
    return text[:limits.cap], f"{limits.over()}: truncated"


def html_text(html, limits=None):
    """(text, error) of an HTML document: here when small, in the child when large."""
    limits = limits or default_limits()
    if len(html) < HTML_IN_PROCESS:
        return cut(html_to_text(html), limits)
    out = sandbox.run("html", html.encode("utf-8", "replace"), limits)
    text, error = cut(_titled(clean(out.title), clean("".join(t for _, t in out.texts))),
                      limits)
    return text, out.error(limits) or error


def plain_text(text, limits):
    """(text, error) of a plain-text part, cut before cleaning so cleaning is bounded too."""
    head, error = cut(text, limits)
    return clean(head), error


def pdf_text(data, limits=None):
    """(text, error): text of every page; encrypted or corrupt PDFs give an error instead."""
    text, error, _ = read_pdf(data, limits or default_limits())
    return text, error


def read_pdf(data, limits):
    """(text, error, metadata) of a PDF read page by page in the child."""
    out = sandbox.run("pdf", data, limits)
    text = clean("\n\n".join(t for _, t in out.texts))[:limits.cap]
    error = out.error(limits)
    if not (text or error):
        error = "PDF has no extractable text (scanned image?)"
    return text, error, {"pages": out.pages, "extraction": out.stats}


def decode_text(data, charset=None):
    """Bytes of a text part in its declared charset, falling back to UTF-8 then Latin-1."""
    for enc in (charset, "utf-8"):
        if enc:
            try:
                return data.decode(enc)
            except (LookupError, UnicodeDecodeError):
                pass
    return data.decode("latin-1")


def attachment_part(name, content_type, data, limits=None):
    """One attachment as a Part: PDFs, HTML and text are read, anything else is kept but not
    indexed (None)."""
    att = Attachment(label(name, "attachment"), label(content_type), len(data), lambda: data)
    return read_attachment(att, limits or default_limits()) if att.kind else None


def read_attachment(att, limits):
    if att.size > limits.attachment_bytes:
        return refused(att, f"attachment over {megabytes(limits.attachment_bytes)}: not read")
    try:
        data = att.load()
    except (binascii.Error, ValueError, TypeError):
        return refused(att, "attachment content is not valid base64")
    if limits.cap <= 0:  # kept as a file, but not worth starting a child for
        return Part(att.kind, att.name, "", _ctype(att), data, f"{limits.over()}: not read")
    if att.kind == "pdf":
        text, error, meta = read_pdf(data, limits)
        return Part("pdf", att.name, text, _ctype(att), data, error, meta)
    charset = re.search(r"charset=\"?([\w-]+)", att.content_type)
    decoded = decode_text(data, charset and charset[1])
    text, error = (html_text if att.kind == "html" else plain_text)(decoded, limits)
    return Part(att.kind, att.name, text, _ctype(att), data, error)


def refused(att, reason):
    return Part(att.kind or "text", att.name, content_type=_ctype(att), error=reason)


def _ctype(att):
    if att.kind == "pdf":
        return "application/pdf"
    return att.content_type.split(";")[0].strip().lower()[:200] or None


def read_attachments(attachments, limits):
    """(parts, skipped names): the first `limits.attachments` readable ones are read, in
    order, within the message's remaining characters; the next as many are listed with
    the reason; more than that are only counted, so a hostile list cannot flood the
    database with rows."""
    readable = [a for a in attachments if a.kind]
    skipped = [a.name for a in attachments if not a.kind][:SKIPPED_NAMES]
    parts = []
    for att in readable[:limits.attachments]:
        parts.append(read_attachment(att, limits))
        limits = limits.spend(len(parts[-1].raw_text))
    over = readable[limits.attachments:]
    reason = f"over {limits.attachments} attachments: skipped"
    parts += [refused(a, reason) for a in over[:limits.attachments]]
    if len(over) > limits.attachments:
        parts[-1].error += f" (and {len(over) - limits.attachments:,} more)"
    return parts, skipped


def label(value, default=""):
    """A name or content type from a JSON field of any type: text without control
    characters (NUL included), or `default`."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return default
    return "".join(c for c in value[:1000] if c.isprintable())[:200].strip() or default


def payload_entries(items):
    """The webhook's `attachments` (base64 `content`) as Attachments; odd items tolerated."""
    out = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            out.append(_payload_attachment(item, f"attachment-{i + 1}"))
    return out


def _payload_attachment(item, default_name):
    content = item.get("content")
    content = "" if content is None else content

    def load():
        if not isinstance(content, str):
            raise ValueError("content is not text")
        return base64.b64decode(content, validate=False)

    size = len(content) * 3 // 4 if isinstance(content, str) else 0  # before decoding
    return Attachment(label(item.get("file_name"), default_name),
                      label(item.get("content_type")), size, load)


def payload_attachments(items, limits=None):
    """(parts, skipped names) from the webhook's `attachments`."""
    return read_attachments(payload_entries(items), limits or default_limits())


def raw_message_items(raw):
    """(text, html, attachments) of the RFC 822 message, when the JSON lacks them."""
    text = html = ""
    attachments = []
    for part in parse_raw(raw).walk():
        if part.is_multipart():
            continue
        if part.get_filename():
            attachments.append(_mime_attachment(part))
        elif part.get_content_type() in ("text/plain", "text/html"):
            body = decode_text(part.get_payload(decode=True) or b"",
                               part.get_content_charset())
            if part.get_content_type() == "text/plain":
                text = text or body
            else:
                html = html or body
    return text, html, attachments


def _mime_attachment(part):
    encoded = part.get_payload()
    size = len(encoded) if isinstance(encoded, str) else 0
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
        size = size * 3 // 4
    return Attachment(label(part.get_filename(), "attachment"),
                      label(str(part.get("Content-Type") or "")), size,
                      lambda: part.get_payload(decode=True) or b"")


def raw_message_parts(raw, limits=None):
    """Body text, HTML, attachment Parts and skipped names of the RFC 822 message."""
    text, html, attachments = raw_message_items(raw)
    return (text, html, *read_attachments(attachments, limits or default_limits()))
