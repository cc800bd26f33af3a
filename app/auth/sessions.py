"""Server-side sessions: the cookie holds a random token, the database only its SHA-256."""
import datetime
import functools
import hashlib
import secrets

from flask import current_app, g, jsonify, redirect, request, url_for

from app.models import Session, User
from app.models.base import utcnow

COOKIE = "simplr_session"


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def new_token():
    """32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def start_session(user, user_agent=None):
    """Create a session for `user`; returns the raw token to put in the cookie."""
    token = new_token()
    days = current_app.config["SESSION_DAYS"]
    Session.create(user=user, token_hash=token_hash(token), user_agent=(user_agent or "")[:300],
                   expires_at=utcnow() + datetime.timedelta(days=days))
    return token


def set_cookie(response, token):
    """HttpOnly, SameSite=Lax, Secure when COOKIE_SECURE; lives as long as the session."""
    response.set_cookie(COOKIE, token, max_age=current_app.config["SESSION_DAYS"] * 86400,
                        httponly=True, samesite="Lax", secure=current_app.config["COOKIE_SECURE"])
    return response


def clear_cookie(response):
    """Expire the session cookie in the browser (the server side is end_session's job)."""
    response.delete_cookie(COOKIE, httponly=True, samesite="Lax",
                           secure=current_app.config["COOKIE_SECURE"])
    return response


def end_session():
    """Delete the current session server-side: the cookie is worthless from now on."""
    token = request.cookies.get(COOKIE)
    if token:
        Session.delete().where(Session.token_hash == token_hash(token)).execute()


def load_user():
    """before_request: g.user is the session's user, or None."""
    g.user, g.session = None, None
    token = request.cookies.get(COOKIE)
    if not token:
        return
    session = (Session.select(Session, User).join(User)
               .where(Session.token_hash == token_hash(token), Session.expires_at > utcnow())
               .first())
    if session is None:
        return
    if (utcnow() - session.last_seen_at).total_seconds() > 300:  # avoid a write per request
        Session.update(last_seen_at=utcnow()).where(Session.id == session.id).execute()
    g.user, g.session = session.user, session


def login_required(view):
    """401 JSON for API and stream routes, a redirect to /login for pages."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            if request.path.startswith(("/api/", "/chat/stream")):
                return jsonify(error="authentication required", status=401), 401
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped


def init_app(app):
    app.before_request(load_user)
