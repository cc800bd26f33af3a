"""Email jobs (queue `mail`): retried with backoff when the SMTP server fails."""
import logging

from flask import current_app

from app import mail
from app.db import db
from app.models import Article

log = logging.getLogger(__name__)


def send_confirmation(article_id):
    """Tell the sender their email became article `article_id` (no-op if it was deleted)."""
    cfg = current_app.extensions["simplr.config"]
    with db.connection_context():
        article = Article.get_or_none(Article.id == article_id)
        if article is None:
            return False
        to = article.user.email
        chunks = article.chunks.count()
        msg = mail.build(cfg, to, f"Saved: {article.title}", "confirmation",
                         article=article, chunks=chunks)
    mail.send(cfg, msg)
    log.info("confirmation for article %s sent to %s", article_id, to)
    return True
