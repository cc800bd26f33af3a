"""Browser fixtures, generic for every browser test: the app served on a free loopback port
(`live_server`, its base URL), Debian's Chromium driven by Playwright (`browser`), a fresh
desktop `page` or `phone_page` per test, and `screenshot(page, name)`.

Chromium is the system one (`/usr/bin/chromium`, or $CHROMIUM_PATH): `playwright install`
downloads browsers from the internet, which the test host may not have."""
import os
import threading
from pathlib import Path

import pytest

from tests.services import free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="session")
def live_server(app):
    """The test app (real PostgreSQL, Redis, SMTP) served by werkzeug in a thread."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, launched once per test session."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, live_server, **options):
    context = browser.new_context(base_url=live_server, **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server):
    """A desktop-sized page in a fresh context (no cookies from other tests)."""
    context, pg = _page(browser, live_server, viewport=DESKTOP)
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized (390×844, touch) page in a fresh context."""
    context, pg = _page(browser, live_server, **PHONE)
    yield pg
    context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, name): a full-page PNG under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(pg, name):
        path = SCREENSHOTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path
    return shoot


@pytest.fixture
def log_in_browser(live_server):
    """log_in_browser(page, user): give the page's context a session cookie for `user`."""
    from app.auth.sessions import COOKIE, start_session

    def log_in(pg, user):
        pg.context.add_cookies([{"name": COOKIE, "value": start_session(user),
                                 "url": live_server, "httpOnly": True, "sameSite": "Lax"}])
    return log_in
