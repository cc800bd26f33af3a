"""Login by emailed magic link: /login, /auth/callback, /logout."""
import redis
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from app import ratelimit
from app.auth import magic
from app.auth.sessions import clear_cookie, end_session, set_cookie, start_session
from app.config import current as current_config
from app.mail.jobs import send_magic_link
from app.models import normalise_email
from app.params import text_problem
from app.queue import enqueue

bp = Blueprint("auth", __name__)
HOUR = 3600


@bp.after_request
def _no_referrer(response):
    # The callback URL carries the token: never leak it to another site in a Referer.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.get("/login")
def login():
    """The login form (logged-in users go straight to their articles)."""
    if g.get("user"):
        return redirect(url_for("articles.index"))
    return render_template("auth/login.html")


@bp.post("/login")
def request_link():
    """Queue a login link. The answer is the same whether or not the address has an account:
    the worker decides, so not even the timing tells them apart."""
    raw = request.form.get("email", "")
    # normalise_email keeps NUL and control characters; no real address has them
    address = None if text_problem(raw, 320, single_line=True) else normalise_email(raw)
    if address is None:
        return render_template("auth/login.html", error="Enter a valid email address.",
                               email=raw[:254]), 400
    limited = _rate_limited(address)
    if limited:
        return limited
    try:
        enqueue(send_magic_link, address, ratelimit.client_ip(),
                safe_next(request.form.get("next")), queue_name="mail")
    except redis.RedisError:
        return render_template("auth/login.html", email=address,
                               error="We cannot send email right now. Try again in a minute."), 503
    return render_template("auth/sent.html", email=address)


def _rate_limited(address):
    """A 429 page when this client IP or this address asked too often, else None."""
    cfg = current_config()
    if (ratelimit.hit(f"login:ip:{ratelimit.client_ip()}", cfg.LOGIN_RATE_PER_IP_PER_HOUR, HOUR)
            and ratelimit.hit(f"login:email:{address}", cfg.LOGIN_RATE_PER_HOUR, HOUR)):
        return None
    wait = ratelimit.retry_after(HOUR)
    message = (f"Too many login attempts. Please wait {max(1, wait // 60)} minute(s) "
               "and try again; the last link we sent still works until it expires.")
    return (render_template("auth/login.html", error=message, email=address), 429,
            {"Retry-After": str(wait)})


@bp.get("/auth/callback")
def callback():
    """Trade a valid magic-link token for a session cookie."""
    user = magic.redeem(request.args.get("token", ""))
    if user is None:
        return render_template("auth/link_invalid.html"), 400
    token = start_session(user, request.headers.get("User-Agent"))
    target = safe_next(request.args.get("next")) or url_for("articles.index")
    return set_cookie(redirect(target), token)


def safe_next(value):
    """A path on this site to return to after login, or None (never another host: an
    open redirect would let a phishing link pass through our login)."""
    value = (value or "").strip()
    if value.startswith("/") and not value.startswith("//") and "\\" not in value \
            and len(value) <= 500 and all(c.isprintable() for c in value):
        return value
    return None


@bp.post("/logout")
def logout():
    """End the session server-side and drop the cookie."""
    end_session()
    flash("You are logged out.", "info")
    return clear_cookie(redirect(url_for("auth.login")))
