"""Email jobs (queue `mail`): retried with backoff when the SMTP server fails."""
import logging
import urllib.parse

from app import mail
from app.config import current as current_config
from app.db import db
from app.models import Article

log = logging.getLogger(__name__)


def send_confirmation(article_id):
    """Tell the sender their email became article `article_id` (no-op if it was deleted)."""
    cfg = current_config()
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


def send_magic_link(address, ip=None, next_path=None):
    """Email a one-time login link to `address`, if it may log in (otherwise send nothing:
    the login page answered the same either way). A token whose email fails is revoked and
    the retry issues a fresh one, so no raw token ever sits in Redis."""
    from app.auth import magic
    cfg = current_config()
    with db.connection_context():
        user = magic.user_for_login(address, cfg.SIGNUP_OPEN)
        if user is None:
            log.info("login link not sent: no account for the address")
            return False
        token, token_id = magic.issue(user, cfg.MAGICLINK_TTL_MINUTES, ip)
    link = f"{cfg.APP_BASE_URL.rstrip('/')}/auth/callback?token={token}"
    if next_path:
        link += "&next=" + urllib.parse.quote(next_path, safe="/")
    msg = mail.build(cfg, user.email, f"Your {cfg.EMAIL_BRAND_NAME} login link", "magic_link",
                     link=link, minutes=cfg.MAGICLINK_TTL_MINUTES)
    try:
        mail.send(cfg, msg)
    except Exception:
        with db.connection_context():
            magic.revoke(token_id)
        raise
    log.info("login link sent to user %s", user.id)
    return True
