"""In Chromium: request a magic link, read it from the loopback SMTP server, log in, browse,
edit, delete, log out. Screenshots of each page go to test-artifacts/screenshots/."""
import re
from urllib.parse import urlsplit

from app.models import Article, User
from tests.conftest import post_webhook, run_jobs
from tests.factories import HOSTILE, make_article

LINK = re.compile(r"https?://\S+/auth/callback\?token=[\w\-]+")


def hostile_email(sender):
    return {"type": "inbound.message", "data": {
        "id": "hostile-1", "from": {"email": sender, "name": "Ann"},
        "subject": "Weekly digest <img src=x onerror=alert('subject')>",
        "text": "Hello Ann. " + HOSTILE, "html": HOSTILE, "attachments": []}}


def magic_link(smtp_server, live_server):
    """The callback link from the newest email, pointed at the live server."""
    text = smtp_server.wait_for(1)[-1].get_body(preferencelist=("plain",)).get_content()
    parts = urlsplit(LINK.search(text).group(0))
    return f"{live_server}{parts.path}?{parts.query}"


def test_login_browse_edit_delete_logout(app, client, page, live_server, smtp_server,
                                         screenshot):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ann = User.get_or_create_by_email("ann@example.com")

    page.goto("/articles")
    assert page.url.startswith(f"{live_server}/login")
    screenshot(page, "login-desktop")
    page.fill("input[name=email]", "ann@example.com")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Check your email")
    screenshot(page, "login-sent-desktop")

    run_jobs(app)  # the worker sends the link over SMTP
    page.goto(magic_link(smtp_server, live_server))
    assert page.url == f"{live_server}/articles"
    page.wait_for_selector("text=Add your first article")
    screenshot(page, "articles-empty-desktop")

    make_article(ann, "Kelp forests are vanishing", pdf=b"%PDF-1.4 fake", age_days=2)
    make_article(ann, "Seagrass stores carbon", category="science", age_days=1)
    post_webhook(client, hostile_email("ann@example.com"))
    run_jobs(app)
    page.goto("/articles")
    assert page.locator(".article-item").count() == 3
    screenshot(page, "articles-full-desktop")

    page.click("text=Weekly digest")  # the hostile one: its markup must stay inert text
    page.wait_for_selector("text=Full text")
    assert "<script>" in page.inner_text(".fulltext")
    screenshot(page, "article-hostile-desktop")

    page.goto("/articles")
    page.click("text=Kelp forests are vanishing")
    page.wait_for_selector("h1.article-title")
    screenshot(page, "article-detail-desktop")
    page.click("a.button:has-text('Edit')")
    screenshot(page, "article-edit-desktop")
    page.fill("#title", "Kelp forests: a recovery plan")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector("h1.article-title:has-text('Kelp forests: a recovery plan')")
    assert Article.get(Article.title == "Kelp forests: a recovery plan")

    page.goto("/articles")
    page.click("text=Seagrass stores carbon")
    page.click("a.button:has-text('Delete')")
    screenshot(page, "article-delete-desktop")
    page.click("button:has-text('Delete article')")
    page.wait_for_selector("text=Deleted")
    assert page.locator("text=Seagrass stores carbon").count() == 1  # only in the flash
    assert page.locator(".article-item").count() == 2

    page.click("button:has-text('Log out')")
    page.wait_for_selector("text=You are logged out")
    page.goto("/articles")
    assert page.url.startswith(f"{live_server}/login")
    assert dialogs == []


def test_pages_on_a_phone(app, clean, phone_page, live_server, screenshot, log_in_browser):
    page = phone_page
    page.goto("/login")
    screenshot(page, "login-phone")
    ann = User.get_or_create_by_email("ann@example.com")
    log_in_browser(page, ann)
    page.goto("/articles")
    screenshot(page, "articles-empty-phone")
    article = make_article(ann, "A long title about kelp forests, sea urchins and warming "
                                "currents off Tasmania", pdf=b"%PDF-1.4 fake")
    for i in range(3):
        make_article(ann, f"Another article {i}", text="Short text. " * 30, age_days=i + 1)
    page.goto("/articles")
    screenshot(page, "articles-full-phone")
    # nothing may overflow sideways on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"/articles/{article.id}")
    screenshot(page, "article-detail-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"/articles/{article.id}/edit")
    screenshot(page, "article-edit-phone")


def test_search_from_the_articles_page(app, clean, page, screenshot, log_in_browser):
    """Type a query in the search box: results come back with the matched words marked and
    the score's parts shown; an unrelated article is left out."""
    ann = User.get_or_create_by_email("ann@example.com")
    log_in_browser(page, ann)
    make_article(ann, "Kelp forests are vanishing")
    make_article(ann, "Sourdough at home", text="Feed the sourdough starter flour and water. " * 20)
    page.goto("/articles")
    page.fill("input[name=q]", "kelp forests Tasmania")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector(".search-result")
    first = page.locator(".search-result").first
    assert "Kelp forests are vanishing" in first.inner_text()
    assert "<mark>Kelp</mark>" in first.locator(".search-excerpt").inner_html()
    assert "semantic" in first.locator(".search-score").inner_text()
    # no query word and a negative cosine: unrelated, so not listed at all
    assert "Sourdough" not in page.inner_text(".search-results")
    screenshot(page, "articles-search-desktop")


LONG_URL = ("https://news.example.com/2026/11/29/tidal-power/" + "very-long-path-segment-" * 6
            + "?utm_source=newsletter&utm_medium=email")


def test_long_links_wrap_inside_their_card_on_a_phone(app, clean, phone_page, screenshot,
                                                      log_in_browser):
    """A newsletter's long link (no spaces to break at) wraps in its card at 390 px: the
    page never scrolls sideways, on the list, the article and the chat answer quoting it."""
    page = phone_page
    ann = User.get_or_create_by_email("ann@example.com")
    text = (f"Read the full tidal power report at {LONG_URL} for the details. "
            "The tidal array produced 50 gigawatt hours of electricity last year. ") * 6
    article = make_article(ann, f"Tidal power {LONG_URL}", text=text)
    log_in_browser(page, ann)
    for path, name in (("/articles", "articles-long-url-phone"),
                       (f"/articles/{article.id}", "article-long-url-phone")):
        page.goto(path)
        screenshot(page, name)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.goto("/chat")
    page.fill("#chat-input", "Where is the full tidal power report?")
    page.click("#chat-send")
    page.wait_for_selector(".chat-message.assistant.complete")
    screenshot(page, "chat-long-url-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert "news.example.com" in page.inner_text(".chat-message.assistant .chat-text")
