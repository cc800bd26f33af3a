"""CSRF protection: a per-session token in every form (or the X-CSRF-Token header).

Checked on every state-changing request that carries a session cookie; the webhook is
exempt (it has no cookie and is authenticated by its HMAC signature instead).
"""
import hashlib
import hmac

from flask import abort, current_app, g, request

SAFE = ("GET", "HEAD", "OPTIONS")
EXEMPT_PREFIXES = ("/webhooks/",)


def csrf_token():
    """The token for the current session (or for the anonymous login form)."""
    basis = g.session.token_hash if g.get("session") else "anonymous"
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"csrf:{basis}".encode(), hashlib.sha256).hexdigest()


def check_csrf():
    """before_request: 400 for a state-changing request without the session's token."""
    if request.method in SAFE or request.path.startswith(EXEMPT_PREFIXES):
        return
    if request.routing_exception is not None:  # 404/405 change nothing: let them answer
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    if not hmac.compare_digest(sent, csrf_token()):
        abort(400, description="missing or invalid CSRF token; reload the page and try again")


def init_app(app):
    app.before_request(check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
