"""Reading an inbound message: body text, HTML and attachments (PDFs through pypdf).

A bad part is recorded on its source (`error`) and never sinks the whole article.
"""
import base64
import binascii
import io
import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from pypdf import PdfReader

from app.ingest.payload import parse_raw
from app.text import clean

MAX_PDF_PAGES = 500


@dataclass
class Part:
    type: str  # email | pdf | html | text
    name: str
    raw_text: str = ""
    content_type: str | None = None
    data: bytes | None = None  # stored under STORAGE_DIR when set
    error: str | None = None
    metadata: dict = field(default_factory=dict)


def html_to_text(html):
    """Readable text of an HTML document; scripts, styles and the head dropped, except the
    <title>: a newsletter's headline, which its body does not always repeat."""
    soup = BeautifulSoup(html or "", "html.parser")
    title = clean(soup.title.get_text(" ")) if soup.title else ""
    for tag in soup(["script", "style", "head", "noscript", "template", "svg"]):
        tag.decompose()
    for br in soup.find_all(["br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4"]):
        br.append("\n")
    text = clean(soup.get_text(" "))
    if title and title.lower() not in text[:500].lower():
        text = f"{title}\n\n{text}" if text else title
    return text


def pdf_text(data):
    """(text, error): text of every page; encrypted or corrupt PDFs give an error instead."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return "", "encrypted PDF: a password is required"
        pages = [p.extract_text() or "" for p in reader.pages[:MAX_PDF_PAGES]]
    except Exception as exc:  # pypdf raises many types on damaged files
        return "", f"could not read PDF: {type(exc).__name__}: {exc}"[:500]
    text = clean("\n\n".join(pages))
    return text, None if text else "PDF has no extractable text (scanned image?)"


def decode_text(data, charset=None):
    """Bytes of a text part in its declared charset, falling back to UTF-8 then Latin-1."""
    for enc in (charset, "utf-8"):
        if enc:
            try:
                return data.decode(enc)
            except (LookupError, UnicodeDecodeError):
                pass
    return data.decode("latin-1")


def attachment_part(name, content_type, data):
    """One attachment as a Part: PDFs and text are read, anything else is kept but not indexed."""
    ctype = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    if ctype == "application/pdf" or name.lower().endswith(".pdf"):
        text, error = pdf_text(data)
        return Part("pdf", name, text, "application/pdf", data, error)
    charset = re.search(r"charset=\"?([\w-]+)", content_type or "")
    if ctype in ("text/html", "application/xhtml+xml"):
        return Part("html", name, html_to_text(decode_text(data, charset and charset[1])),
                    ctype, data)
    if ctype.startswith("text/"):
        return Part("text", name, clean(decode_text(data, charset and charset[1])), ctype, data)
    return None


def payload_attachments(items):
    """Parts from the webhook's `attachments` (base64 `content`), skipping unusable ones."""
    parts, skipped = [], []
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        name = str(item.get("file_name") or f"attachment-{i + 1}")[:200]
        try:
            data = base64.b64decode(item.get("content") or "", validate=False)
        except (binascii.Error, ValueError, TypeError):
            parts.append(Part("text", name, error="attachment content is not valid base64"))
            continue
        part = attachment_part(name, item.get("content_type"), data)
        (parts.append(part) if part else skipped.append(name))
    return parts, skipped


def raw_message_parts(raw):
    """Body text, HTML and attachments from the RFC 822 message, when the JSON lacks them."""
    msg = parse_raw(raw)
    text = html = ""
    attachments, skipped = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        ctype, charset = part.get_content_type(), part.get_content_charset()
        if part.get_filename():
            att = attachment_part(part.get_filename(), part.get("Content-Type"), payload)
            (attachments.append(att) if att else skipped.append(part.get_filename()))
        elif ctype == "text/plain" and not text:
            text = decode_text(payload, charset)
        elif ctype == "text/html" and not html:
            html = decode_text(payload, charset)
    return text, html, attachments, skipped
