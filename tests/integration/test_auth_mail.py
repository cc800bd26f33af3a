"""The magic-link email: branded HTML + text over real SMTP on loopback, retried on failure."""
import re

from rq.job import Job
from rq.registry import ScheduledJobRegistry

from app.models import MagicLinkToken, User
from app.queue import connection, queue
from tests.factories import request_link
from tests.services import free_port


def test_magic_link_email_is_branded_html_and_text(app, client, smtp_server, config):  # noqa: F811
    from tests.conftest import run_jobs
    config(EMAIL_BRAND_NAME="Acme Notes", EMAIL_LOGO_URL="https://cdn.example/logo.png",
           SMTP_SENDER_NAME="Acme Login", SMTP_SENDER="login@acme.example")
    User.get_or_create_by_email("ann@example.com")
    request_link(client, "ann@example.com")
    run_jobs(app)
    msg = smtp_server.wait_for(1)[0]
    assert msg["From"] == "Acme Login <login@acme.example>"
    assert msg["To"] == "ann@example.com" and "Acme Notes" in msg["Subject"]
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    token = re.search(r"token=([\w\-]+)", text).group(1)
    assert f"http://simplr.test/auth/callback?token={token}" in html
    assert 'src="https://cdn.example/logo.png"' in html and "Acme Notes" in html
    assert "expires in 15 minutes" in text


def test_smtp_failure_revokes_the_token_and_retries(app, client, smtp_server, config):  # noqa: F811
    from tests.conftest import run_jobs
    User.get_or_create_by_email("ann@example.com")
    config(SMTP_PORT=free_port())  # nothing listens there: connection refused
    request_link(client, "ann@example.com")
    run_jobs(app)
    assert MagicLinkToken.select().count() == 0 and smtp_server.messages == []
    scheduled = ScheduledJobRegistry(queue=queue("mail"))
    [job_id] = scheduled.get_job_ids()
    job = Job.fetch(job_id, connection=connection())
    assert job.retries_left == 4

    config(SMTP_PORT=smtp_server.port)  # the server is back: run the retry now
    scheduled.remove(job)
    queue("mail").enqueue_job(job)
    run_jobs(app)
    assert smtp_server.wait_for(1)[0]["To"] == "ann@example.com"
    assert MagicLinkToken.select().count() == 1
