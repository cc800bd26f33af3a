"""Ask by email: a proven sender mails a question (its subject starts with
ASK_SUBJECT_PREFIX, or it is sent to ASK_ADDRESS) and is mailed the answer, with links to
the cited articles, as a reply threaded to the question (In-Reply-To, References). The
question is never stored as an article, and each user may ask ASK_RATE_PER_HOUR an hour.
"""
import logging
import re

from app import mail, ratelimit
from app.chat import answer, extractive
from app.models import InboundEvent
from app.text import clean

log = logging.getLogger(__name__)
QUESTION_CHARS = 500
# A reply's quoted history and a signature are not part of the question.
_END = re.compile(r"^(>|-- ?$|On .+ wrote:$)", re.MULTILINE)


def is_question(cfg, data):
    prefix = cfg.ASK_SUBJECT_PREFIX.strip().lower()
    if prefix and str(data.get("subject") or "").strip().lower().startswith(prefix):
        return True
    return bool(cfg.ASK_ADDRESS) and cfg.ASK_ADDRESS.lower() in _recipients(data)


def _recipients(data):
    """Envelope and To: addresses of a MailerSend inbound payload, lower-cased."""
    rcpt = data.get("recipients") if isinstance(data.get("recipients"), dict) else {}
    found = [r for key in ("rcptTo", "to") for r in _list(rcpt.get(key))]
    found += _list((data.get("to") or {}).get("data") if isinstance(data.get("to"), dict) else [])
    return {str(r.get("email", "")).lower() for r in found if isinstance(r, dict)}


def _list(value):
    if isinstance(value, dict):
        value = value.get("data")
    return value if isinstance(value, list) else []


def question_of(cfg, data):
    """The subject without its prefix, then the body up to a quote or signature: plain
    text (no control characters), at most QUESTION_CHARS."""
    subject = str(data.get("subject") or "").strip()
    prefix = cfg.ASK_SUBJECT_PREFIX.strip()
    if prefix and subject.lower().startswith(prefix.lower()):
        subject = subject[len(prefix):].strip()
    body = _END.split(str(data.get("text") or "")[:QUESTION_CHARS * 20], maxsplit=1)[0]
    return " ".join(clean(f"{subject} {body}").split())[:QUESTION_CHARS]


def reply(event, data, user, cfg):
    """Answer the question of `event` to `user` (already proven), or refuse it quietly
    past the rate limit. Marks the event done (or rejected): it makes no article."""
    if not ratelimit.hit(f"ask:{user.id}", cfg.ASK_RATE_PER_HOUR, 3600):
        log.warning("question from user %s refused: over %s an hour", user.id,
                    cfg.ASK_RATE_PER_HOUR)
        InboundEvent.set_status(event.id, "rejected", last_error="question rate limit")
        return
    question = question_of(cfg, data)
    chunks, context = answer.retrieve(cfg, user.id, question, [])
    text = "".join(answer.generate(cfg, question, context, [], chunks))
    cites = answer.citations(text, chunks) if chunks and text.strip() != extractive.NOTHING \
        else []
    mail.send(cfg, _message(cfg, event, user, question, text, cites))
    InboundEvent.set_status(event.id, "done")
    log.info("question %s answered to user %s with %s citation(s)", event.id, user.id,
             len(cites))


def _message(cfg, event, user, question, text, cites):
    msg = mail.build(cfg, user.email, f"Re: {event.subject or question}", "answer",
                     question=question, answer=text, citations=cites)
    if event.message_id:
        msg["In-Reply-To"] = mail.header_text(event.message_id, 998)
        msg["References"] = mail.header_text(event.message_id, 998)
    return msg
