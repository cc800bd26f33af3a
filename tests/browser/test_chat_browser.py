"""In Chromium: ask a question on /chat and watch the answer stream in, then its citations;
a provider failure shows the error instead of a spinner."""
import time
import urllib.parse

from app.chat import answer, extractive
from app.models import User
from app.providers.openai_compat import ProviderError
from tests.conftest import run_jobs
from tests.factories import TIDAL, deliver

ASSISTANT = ".chat-message.assistant"


def slowly(tokens):
    for t in tokens:
        time.sleep(0.03)  # slow enough to see the answer half-written
        yield t


def test_answer_streams_in_with_citations(app, client, page, log_in_browser, monkeypatch,
                                          screenshot):
    deliver(client, 1, "Tidal power in Scotland", TIDAL)
    run_jobs(app)
    log_in_browser(page, User.get(User.email == "ann@example.com"))
    original = extractive.tokens
    monkeypatch.setattr(extractive, "tokens", lambda text: slowly(original(text)))

    page.goto("/chat")
    page.fill("#chat-input", "How much electricity did the tidal array produce?")
    page.click("#chat-send")
    page.wait_for_selector(f"{ASSISTANT}.streaming .chat-text:not(:empty)")
    partial = page.inner_text(f"{ASSISTANT} .chat-text")
    screenshot(page, "chat-streaming-desktop")
    page.wait_for_selector(f"{ASSISTANT}.complete .chat-citations a")
    full = page.inner_text(f"{ASSISTANT} .chat-text")
    assert 0 < len(partial) < len(full)
    assert "50 gigawatt hours" in full
    # Quotes end as block quotes (rendered, sanitised), not as a literal "> ".
    assert page.locator(f"{ASSISTANT} .chat-text blockquote").count() >= 1
    assert "> “" not in full
    link = page.locator(".chat-citations a").first
    assert "Tidal power in Scotland" in link.inner_text()
    assert link.get_attribute("href").startswith("/articles/")
    assert page.is_hidden("#chat-error")
    assert "/chat/" in page.url  # the new conversation's own address, for reloads
    sidebar = page.locator(".chat-conversations li.active a")  # listed without a reload
    assert sidebar.get_attribute("href") == urllib.parse.urlparse(page.url).path
    assert "No conversations yet" not in page.inner_text(".chat-conversations")
    screenshot(page, "chat-answered-desktop")

    page.reload()
    log = page.inner_text(".chat-log")  # the stored conversation, citations included
    assert "How much electricity" in log and "50 gigawatt hours" in log
    assert page.locator(f"{ASSISTANT} .chat-text blockquote").count() >= 1
    assert "Tidal power in Scotland" in log


def test_provider_error_is_shown(app, client, page, log_in_browser, monkeypatch):
    deliver(client, 1, "Tidal power in Scotland", TIDAL)
    run_jobs(app)
    log_in_browser(page, User.get(User.email == "ann@example.com"))

    def broken(*args):
        yield "Partial"
        raise ProviderError("timed out")
    monkeypatch.setattr(answer, "generate", broken)
    page.goto("/chat")
    page.fill("#chat-input", "Tidal power?")
    page.click("#chat-send")
    page.wait_for_selector("#chat-error:not([hidden])")
    assert "failed or timed out" in page.inner_text("#chat-error")
    assert page.is_enabled("#chat-send")
    assert page.locator(f"{ASSISTANT}.streaming").count() == 0


def test_a_model_that_is_down_is_replaced_by_quotes_with_a_note(app, client, page, config,
                                                                 log_in_browser, screenshot):
    from tests.integration.test_chat_errors import _serve
    deliver(client, 1, "Tidal power in Scotland", TIDAL)
    run_jobs(app)
    log_in_browser(page, User.get(User.email == "ann@example.com"))
    with _serve("500") as url:
        config(LLM_PROVIDER="openai", OPENAI_BASE_URL=url, LLM_MODEL="m",
               LLM_TIMEOUT_SECONDS=1, LLM_MAX_RETRIES=0)
        page.goto("/chat")
        page.fill("#chat-input", "How much electricity did the tidal array produce?")
        page.click("#chat-send")
        page.wait_for_selector(f"{ASSISTANT}.complete .chat-citations a")
    assert "not answering" in page.inner_text(f"{ASSISTANT} .chat-note")
    assert "50 gigawatt hours" in page.inner_text(f"{ASSISTANT} .chat-text")
    assert page.is_hidden("#chat-error")
    screenshot(page, "chat-fallback-desktop")
