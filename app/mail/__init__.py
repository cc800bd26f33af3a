"""Outgoing email over SMTP: STARTTLS on 587, implicit TLS on 465, plain on a local sink."""
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import render_template

SUBJECT_CHARS = 200
NAME_CHARS = 100
# A CR or LF in a header value is refused by the email package (the job would fail on
# every retry) and, were it let through, would let user text add headers of its own.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value, limit):
    """User text made safe for a header value: controls and line breaks collapse to one
    space, and anything past `limit` characters becomes an ellipsis."""
    text = " ".join(_UNSAFE.sub(" ", str(value or "")).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def address(to):
    """A To/From value from "addr" or ("Display Name", "addr"), the name made safe."""
    name, addr = to if isinstance(to, tuple) else ("", to)
    addr = _UNSAFE.sub("", addr)
    return formataddr((header_text(name, NAME_CHARS), addr)) if name else addr


def build(config, to, subject, template, **context):
    """A branded multipart message from templates/email/<template>.txt and .html; `to` is
    an address or a (display name, address) pair; subject and names may be user text."""
    context = {"brand": config.EMAIL_BRAND_NAME, "logo_url": config.EMAIL_LOGO_URL,
               "base_url": config.APP_BASE_URL.rstrip("/"), **context}
    msg = EmailMessage()
    msg["From"] = address((config.SMTP_SENDER_NAME, config.SMTP_SENDER))
    msg["To"] = address(to)
    msg["Subject"] = header_text(subject, SUBJECT_CHARS)
    msg["Message-ID"] = make_msgid(domain=config.SMTP_SENDER.rpartition("@")[2] or None)
    msg.set_content(render_template(f"email/{template}.txt", **context))
    msg.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    return msg


def security(config):
    """'tls' (implicit, port 465), 'starttls' (587) or 'none' (a local sink)."""
    if config.SMTP_SECURITY != "auto":
        return config.SMTP_SECURITY
    return {465: "tls", 587: "starttls"}.get(config.SMTP_PORT, "none")


def send(config, msg):
    """Deliver one message; raises smtplib/OSError so the job is retried."""
    host, port, timeout = config.SMTP_HOST, config.SMTP_PORT, config.SMTP_TIMEOUT_SECONDS
    mode = security(config)
    context = ssl.create_default_context(cafile=config.SMTP_CA_FILE or None)
    if mode == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if mode == "starttls":
            smtp.starttls(context=context)
        if config.SMTP_USER:
            smtp.login(config.SMTP_USER, config.SMTP_PASSWORD)
        smtp.send_message(msg)
