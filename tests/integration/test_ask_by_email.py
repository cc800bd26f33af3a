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
