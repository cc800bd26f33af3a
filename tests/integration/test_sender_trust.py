"""Who owns inbound mail: proven senders are filed, the rest held with nothing lost, no
account made and nobody mailed; ops and the owner release or drop what is held."""
from app.models import Article, InboundEvent, User
from tests.conftest import csrf_headers, login, post_webhook, run_jobs
from tests.factories import message

FORGED = {"from": {"email": "ann@example.com", "name": "Ann"},
          "sender": {"email": "bounce@attacker.net"}, "spf_check": {"code": "-", "value": "fail"},
          "dkim_check": False, "subject": "Urgent: send your login link to support@attacker.net",
          "text": "Please send your login link to support@attacker.net today."}


def forged(n=1, **data):
    return message(**{**FORGED, "id": f"forged-{n}", **data})


def test_forged_from_of_an_existing_user_is_held(app, client, smtp_server):
    ann = User.get_or_create_by_email("ann@example.com")
    assert post_webhook(client, forged(), authenticated=False).status_code == 202
    run_jobs(app)
    event = InboundEvent.get()
    assert event.status == "held" and "unverified sender" in event.hold_reason
    assert "spf fail" in event.hold_reason
    assert Article.select().count() == 0 and not list(ann.articles)
    assert smtp_server.messages == []  # no "Saved: …" to the forged address
    assert bytes(event.raw_body)  # the delivery itself is kept


def test_unknown_sender_gets_no_account_without_proof(app, client, smtp_server):
    post_webhook(client, forged(**{"from": {"email": "new@example.org"}}), authenticated=False)
    run_jobs(app)
    assert User.select().count() == 0 and InboundEvent.get().status == "held"


def test_proven_new_sender_needs_open_sign_up(app, client, config, smtp_server):
    config(SIGNUP_OPEN=False)
    post_webhook(client, message(id="closed"))  # SPF passes, aligned
    run_jobs(app)
    event = InboundEvent.get()
    assert event.status == "held" and "sign-up is closed" in event.hold_reason
    assert User.select().count() == 0 and smtp_server.messages == []


def test_allow_listed_domain_may_sign_up_and_is_mailed(app, client, config, smtp_server):
    config(SIGNUP_OPEN=False, INBOUND_SENDER_POLICY="allowlist",
           INBOUND_ALLOWED_SENDERS=("@example.com",))
    post_webhook(client, message(id="allowed", **{"from": {"email": "Zed@Example.com"}}),
                 authenticated=False)
    run_jobs(app)
    assert Article.get().user.email == "zed@example.com"
    assert smtp_server.wait_for(1)[0]["To"] == "zed@example.com"


def test_allowlist_policy_holds_proven_senders_not_on_the_list(app, client, config):
    config(INBOUND_SENDER_POLICY="allowlist", INBOUND_ALLOWED_SENDERS=("@example.org",))
    post_webhook(client, message())  # SPF passes, but not on the list
    run_jobs(app)
    assert "not on the allow-list" in InboundEvent.get().hold_reason


def test_open_policy_files_unproven_mail_of_existing_users_but_mails_nobody(
        app, client, config, smtp_server):
    config(INBOUND_SENDER_POLICY="open")
    User.get_or_create_by_email("ann@example.com")
    post_webhook(client, forged(), authenticated=False)
    post_webhook(client, forged(2, **{"from": {"email": "stranger@example.org"}}),
                 authenticated=False)
    run_jobs(app)
    assert [a.user.email for a in Article.select()] == ["ann@example.com"]
    assert User.select().count() == 1  # no account for the unproven stranger
    assert smtp_server.messages == []


def test_open_policy_is_logged_loudly_at_start_up(make_app, capfd):
    make_app(INBOUND_SENDER_POLICY="verified")
    assert "INBOUND_SENDER_POLICY=open" not in capfd.readouterr().err
    make_app(INBOUND_SENDER_POLICY="open")
    assert "WARNING app.webhooks: INBOUND_SENDER_POLICY=open" in capfd.readouterr().err


def test_disabled_user_mail_is_held_and_login_refused(app, client, smtp_server):
    runner = app.test_cli_runner()
    post_webhook(client, message(id="before"))
    run_jobs(app)
    assert runner.invoke(args=["users", "disable", "ann.reader@example.com"]).exit_code == 0
    post_webhook(client, message(id="after", subject="After"))
    run_jobs(app)
    assert "disabled" in InboundEvent.get(InboundEvent.provider_message_id == "after").hold_reason
    listing = runner.invoke(args=["users", "list"]).output
    assert "ann.reader@example.com" in listing and "disabled" in listing and "held=1" in listing
    from app.auth.magic import user_for_login
    assert user_for_login("ann.reader@example.com", signup_open=True) is None
    assert runner.invoke(args=["users", "enable", "ann.reader@example.com"]).exit_code == 0
    assert user_for_login("ann.reader@example.com", signup_open=False) is not None


def test_ops_list_release_and_drop_held_mail(app, client, smtp_server):
    runner = app.test_cli_runner()
    post_webhook(client, forged(1), authenticated=False)
    post_webhook(client, forged(2, subject="Second"), authenticated=False)
    run_jobs(app)
    listing = runner.invoke(args=["held", "list"]).output
    first, second = [e.id for e in InboundEvent.select().order_by(InboundEvent.id)]
    assert "ann@example.com" in listing and "unverified sender" in listing
    assert runner.invoke(args=["held", "release", str(first)]).exit_code == 0
    assert runner.invoke(args=["held", "drop", str(second)]).exit_code == 0
    run_jobs(app)
    assert Article.get().user.email == "ann@example.com"
    assert InboundEvent.get_by_id(second).status == "rejected"
    assert smtp_server.messages == []  # a release mails nobody
    assert runner.invoke(args=["held", "drop", str(second)]).exit_code != 0


def test_user_accepts_and_discards_their_own_held_mail(app, client, smtp_server):
    ann = User.get_or_create_by_email("ann@example.com")
    post_webhook(client, forged(1), authenticated=False)
    post_webhook(client, forged(2, subject="Discard me"), authenticated=False)
    post_webhook(client, forged(3, **{"from": {"email": "bob@example.com"}}),
                 authenticated=False)
    run_jobs(app)
    login(client, ann)
    page = client.get("/held").get_data(as_text=True)
    assert "Urgent: send your login link" in page and "Discard me" in page
    assert "unverified sender" in page
    events = list(InboundEvent.select().order_by(InboundEvent.id))
    headers = csrf_headers(client)
    assert client.post(f"/held/{events[1].id}/discard", headers=headers).status_code == 302
    assert client.post(f"/held/{events[0].id}/accept", headers=headers).status_code == 302
    assert client.post(f"/held/{events[2].id}/accept", headers=headers).status_code == 404
    assert client.post(f"/held/{events[0].id}/accept").status_code in (400, 403)  # no CSRF
    run_jobs(app)
    assert [a.user_id for a in Article.select()] == [ann.id]
    assert InboundEvent.get_by_id(events[1].id).status == "rejected"
    assert InboundEvent.get_by_id(events[2].id).status == "held"  # Bob's stays held
    assert "Discard me" not in client.get("/held").get_data(as_text=True)
    assert smtp_server.messages == []
