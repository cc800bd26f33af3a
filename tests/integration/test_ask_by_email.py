"""Ask by email: a proven sender's question is answered by a reply threaded to it, with
links to the cited articles; it never becomes an article; unproven senders and questions
past the hourly limit get no mail."""
from app.chat.by_email import question_of
from app.models import Article, InboundEvent
from tests.conftest import post_webhook, run_jobs
from tests.factories import KELP, make_article, message, user

ASKER = "ann.reader@example.com"


def _question(n=1):
    return message(id=f"q-{n}", subject="Ask: what happened to the kelp forests?",
                   text="Thanks!\n\nOn Mon, Ann wrote:\n> old quoted text",
                   headers={"Message-ID": f"<question-{n}@example.com>"})


def test_a_question_is_answered_by_a_threaded_reply(app, client, smtp_server):
    article = make_article(user(ASKER), title="Kelp forests", text=KELP * 8)
    assert post_webhook(client, _question()).status_code == 202
    run_jobs(app)
    reply = smtp_server.wait_for(1)[0]
    assert reply["To"] == ASKER
    assert reply["Subject"] == "Re: Ask: what happened to the kelp forests?"
    assert reply["In-Reply-To"] == "<question-1@example.com>" == reply["References"]
    text = reply.get_body(preferencelist=("plain",)).get_content()
    assert "ninety percent" in text  # the answer quotes the article that holds it
    assert f"/articles/{article.id}" in text and "Kelp forests" in text
    html = reply.get_body(preferencelist=("html",)).get_content()
    assert f'href="http://simplr.test/articles/{article.id}"' in html
    assert Article.select().count() == 1  # the question is not filed
    event = InboundEvent.get()
    assert event.status == "done" and event.article_id is None


def test_an_unproven_sender_gets_no_answer(app, client, smtp_server):
    make_article(user(ASKER))
    post_webhook(client, _question(), authenticated=False)
    run_jobs(app)
    assert InboundEvent.get().status == "held"
    assert smtp_server.wait_for(1, timeout=1) == []


def test_questions_past_the_hourly_limit_are_refused(app, client, smtp_server, config):
    config(ASK_RATE_PER_HOUR=1)
    make_article(user(ASKER))
    for n in (1, 2):
        post_webhook(client, _question(n))
        run_jobs(app)
    assert len(smtp_server.wait_for(2, timeout=2)) == 1
    statuses = [e.status for e in InboundEvent.select().order_by(InboundEvent.id)]
    assert statuses == ["done", "rejected"]
    assert Article.select().count() == 1


def test_the_question_leaves_out_quotes_and_signatures(app):
    cfg = app.extensions["simplr.config"]
    data = {"subject": "ASK: tides?", "text": "And the turbines?\n-- \nAnn\n> quoted"}
    assert question_of(cfg, data) == "tides? And the turbines?"


def test_a_hostile_question_gets_a_safe_reply_and_nothing_else(app, client, smtp_server, config):
    """CRLF in the Message-ID and subject (header injection), NUL and a megabyte in the
    body, recipients of the wrong types: a 202, one reply to the asker alone, headers
    without line breaks, a bounded question, the event settled."""
    config(ASK_ADDRESS="ask@simplr.test")
    make_article(user(ASKER))
    payload = message(id="q-hostile",
                      subject="Ask: kelp?\r\nBcc: victim@evil.example\x00" + "k" * 5000,
                      text="what happened\x00 to the kelp? " + "x" * 1_000_000,
                      recipients={"rcptTo": "ask@simplr.test", "to": [1, None, "x"]},
                      to="not-an-object",
                      headers={"Message-ID": "<q@example.com>\r\nBcc: victim@evil.example"})
    assert post_webhook(client, payload).status_code == 202
    run_jobs(app)
    reply = smtp_server.wait_for(1)[0]
    assert reply["To"] == ASKER and reply["Bcc"] is None
    for header in ("Subject", "In-Reply-To", "References"):
        assert "\r" not in reply[header] and "\n" not in reply[header]
    assert len(reply["Subject"]) <= 200
    text = reply.get_body(preferencelist=("plain",)).get_content()
    assert "\x00" not in text and len(text) < 5000  # the question is cut to 500 characters
    assert [e.status for e in InboundEvent.select()] == ["done"]
    assert len(smtp_server.messages) == 1
