"""In Chromium: a user finds mail forged in their name on Held mail, with its reason, and
accepts one and discards another. Screenshots at desktop and phone width."""
from app.models import Article, InboundEvent, User
from tests.conftest import post_webhook, run_jobs
from tests.factories import HOSTILE

FORGED = {"sender": {"email": "bounce@attacker.net"}, "spf_check": {"code": "-"},
          "dkim_check": False}


def forged(n, subject, text):
    return {"type": "inbound.message", "data": {
        "id": f"held-{n}", "from": {"email": "ann@example.com", "name": "Ann"},
        "subject": subject, "text": text, **FORGED}}


def test_accept_and_discard_held_mail(app, client, page, phone_page, log_in_browser,
                                      screenshot):
    ann = User.get_or_create_by_email("ann@example.com")
    post_webhook(client, forged(1, "Notes I sent from my phone", "Seagrass stores carbon."),
                 authenticated=False)
    post_webhook(client, forged(2, "Reset <b>your</b> login", "Send your link to x. " + HOSTILE),
                 authenticated=False)
    run_jobs(app)
    log_in_browser(page, ann)
    page.goto("/articles")
    page.click("text=Held mail")
    page.wait_for_selector("text=Notes I sent from my phone")
    assert page.locator("text=Held because: unverified sender").count() == 2
    assert page.locator("b").count() == 0  # subjects and text are shown, never rendered
    screenshot(page, "held-desktop")
    log_in_browser(phone_page, ann)
    phone_page.goto("/held")
    screenshot(phone_page, "held-phone")

    card = page.locator("li.card", has_text="Notes I sent from my phone")
    card.locator("text=Accept into my library").click()
    page.wait_for_selector("text=Accepted")
    page.locator("li.card", has_text="Reset").locator("text=Discard").click()
    page.wait_for_selector("text=Nothing is held")
    run_jobs(app)
    assert [a.title for a in Article.select()] == ["Notes I sent from my phone"]
    assert {e.status for e in InboundEvent.select()} == {"done", "rejected"}
