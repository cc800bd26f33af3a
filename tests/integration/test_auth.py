"""Magic-link login end to end: /login → worker → SMTP → /auth/callback → session → logout."""
import datetime
import hashlib

import pytest

from app.auth.sessions import COOKIE
from app.models import MagicLinkToken, Session, User
from tests.conftest import csrf_headers, login, run_jobs
from tests.factories import LINK, link_from, request_link


def test_login_page_has_a_form_with_csrf(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="csrf_token"' in page


def test_full_magic_link_login(app, client, smtp_server):
    User.get_or_create_by_email("ann@example.com")
    resp = request_link(client, "Ann@Example.com")
    assert resp.status_code == 200 and "Check your email" in resp.get_data(as_text=True)
    run_jobs(app)
    token = link_from(smtp_server.wait_for(1)[0])
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    stored = MagicLinkToken.get()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    resp = client.get(f"/auth/callback?token={token}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/articles")
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    cookie = resp.headers["Set-Cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # COOKIE_SECURE is off in tests
    session = Session.get()
    raw = client.get_cookie(COOKIE).value
    assert session.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    days = (session.expires_at - session.created_at).days
    assert days in (app.config["SESSION_DAYS"] - 1, app.config["SESSION_DAYS"])
    assert client.get("/articles").status_code == 200
    assert User.get().last_login_at is not None


def test_the_answer_is_identical_for_known_and_unknown_addresses(app, client, config):
    config(SIGNUP_OPEN=False)
    User.get_or_create_by_email("known@example.com")
    known = request_link(client, "known@example.com")
    unknown = request_link(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r, e: r.get_data(as_text=True).replace(e, "EMAIL")  # noqa: E731
    assert strip(known, "known@example.com") == strip(unknown, "nobody@example.com")


def test_closed_signup_sends_nothing_and_creates_no_user(app, client, smtp_server, config):
    config(SIGNUP_OPEN=False)
    request_link(client, "stranger@example.com")
    run_jobs(app)
    assert User.select().count() == 0 and MagicLinkToken.select().count() == 0
    assert smtp_server.messages == []


def test_open_signup_creates_the_user_on_first_login(app, client, smtp_server, config):
    config(SIGNUP_OPEN=True)
    request_link(client, "new@example.com")
    run_jobs(app)
    assert User.get().email == "new@example.com"
    assert smtp_server.wait_for(1)[0]["To"] == "new@example.com"


def test_invalid_address_is_a_form_error(client):
    resp = request_link(client, "not an address")
    assert resp.status_code == 400 and "valid email" in resp.get_data(as_text=True)


def test_tokens_are_single_use(app, client, smtp_server):
    User.get_or_create_by_email("ann@example.com")
    request_link(client, "ann@example.com")
    run_jobs(app)
    token = link_from(smtp_server.wait_for(1)[0])
    assert client.get(f"/auth/callback?token={token}").status_code == 302
    other = client.application.test_client()
    again = other.get(f"/auth/callback?token={token}")
    assert again.status_code == 400
    page = again.get_data(as_text=True)
    assert "no longer works" in page and 'href="/login"' in page
    assert Session.select().count() == 1


def test_expired_and_unknown_tokens_get_a_friendly_page(app, client):
    from app.auth import magic
    ann = User.get_or_create_by_email("ann@example.com")
    token, token_id = magic.issue(ann, 15)
    MagicLinkToken.update(expires_at=datetime.datetime.now(datetime.UTC)
                          - datetime.timedelta(seconds=1)).where(
        MagicLinkToken.id == token_id).execute()
    for value in (token, "made-up-token", ""):
        resp = client.get(f"/auth/callback?token={value}")
        assert resp.status_code == 400 and "Get a new login link" in resp.get_data(as_text=True)
        assert COOKIE not in resp.headers.get("Set-Cookie", "")


def test_cookie_is_secure_when_configured(app, client, config):
    from app.auth import magic
    config(COOKIE_SECURE=True)
    token, _ = magic.issue(User.get_or_create_by_email("ann@example.com"), 15)
    cookie = client.get(f"/auth/callback?token={token}").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_expired_session_is_logged_out(client):
    ann = User.get_or_create_by_email("ann@example.com")
    login(client, ann)
    Session.update(expires_at=datetime.datetime.now(datetime.UTC)).execute()
    assert client.get("/articles").status_code == 302


def test_logout_ends_the_session_server_side(client):
    ann = User.get_or_create_by_email("ann@example.com")
    token = login(client, ann)
    headers = csrf_headers(client)
    resp = client.post("/logout", headers=headers)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert Session.select().count() == 0
    replay = client.application.test_client()
    replay.set_cookie(COOKIE, token)  # a stolen copy of the cookie is worthless now
    assert replay.get("/articles").status_code == 302
    assert replay.get("/api/articles").status_code == 401


def test_logout_needs_the_csrf_token(client):
    login(client, User.get_or_create_by_email("ann@example.com"))
    assert client.post("/logout").status_code == 400
    assert Session.select().count() == 1


def test_login_needs_the_csrf_token(client):
    assert client.post("/login", data={"email": "ann@example.com"}).status_code == 400


def test_rate_limit_per_address(app, client, config):
    config(LOGIN_RATE_PER_HOUR=3)
    for i in range(3):
        assert request_link(client, "ann@example.com", ip=f"10.0.0.{i}").status_code == 200
    resp = request_link(client, "ANN@example.com", ip="10.0.0.9")
    assert resp.status_code == 429
    assert "Too many login attempts" in resp.get_data(as_text=True)
    assert int(resp.headers["Retry-After"]) > 0
    assert request_link(client, "bob@example.com", ip="10.0.0.9").status_code == 200


def test_rate_limit_per_client_ip(app, client, config):
    config(LOGIN_RATE_PER_IP_PER_HOUR=4)
    for i in range(4):
        assert request_link(client, f"u{i}@example.com", ip="192.0.2.7").status_code == 200
    assert request_link(client, "u9@example.com", ip="192.0.2.7").status_code == 429
    assert request_link(client, "u9@example.com", ip="192.0.2.8").status_code == 200


def test_redis_down_means_try_again_not_a_crash(app, client, redis_server):
    redis_server.stop()
    try:
        resp = request_link(client, "ann@example.com")
    finally:
        redis_server.start()
    assert resp.status_code == 503 and "Try again" in resp.get_data(as_text=True)


def test_login_returns_to_the_page_that_asked_for_it(app, client, smtp_server):
    User.get_or_create_by_email("ann@example.com")
    assert client.get("/chat").headers["Location"].endswith("/login?next=/chat")
    assert 'name="next" value="/chat"' in client.get("/login?next=/chat").get_data(as_text=True)
    request_link(client, "ann@example.com", next_path="/chat")
    run_jobs(app)
    link = LINK.search(smtp_server.wait_for(1)[0].get_body(("plain",)).get_content())
    assert link.group(2) == "&next=/chat"
    resp = client.get(f"/auth/callback?token={link.group(1)}&next=/chat")
    assert resp.headers["Location"].endswith("/chat")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_login_never_redirects_to_another_host(app, client, smtp_server, target):
    User.get_or_create_by_email("ann@example.com")
    request_link(client, "ann@example.com", next_path=target)
    run_jobs(app)
    token = link_from(smtp_server.wait_for(1)[0])
    resp = client.get("/auth/callback", query_string={"token": token, "next": target})
    assert resp.headers["Location"].endswith("/articles")
