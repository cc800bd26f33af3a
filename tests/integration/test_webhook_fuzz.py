"""Property-based fuzzing of the webhook: whatever a signed delivery holds, the answer is never
a 5xx, the body is stored byte for byte, and the worker settles it and stays healthy."""
import base64
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import Article, InboundEvent
from tests.conftest import TABLES, post_webhook, run_jobs
from tests.factories import message

NASTY = st.sampled_from(["\x00", "a\x00b", "\ud800", "\r\nBcc: x@example.org", "²", "٣",
                         "9" * 40, "<>", "=?utf-8?b?AA==?=", "ann@example.com", " "])
TEXT = st.text(st.characters(blacklist_categories=()), max_size=40) | NASTY
SCALAR = (st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats()
          | TEXT)
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6)
ADDRESS = st.sampled_from(["fuzz@example.com", "Fuzz <FUZZ@example.com>", "fuzz\x00@example.com",
                           "x@localhost", "@example.com", "a@b.c\r\nBcc: v@example.org"])
B64 = st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())
ATTACHMENT = st.fixed_dictionaries({}, optional={
    "file_name": TEXT | VALUE, "content_type": st.sampled_from(
        ["application/pdf", "text/html", "text/plain; charset=\x00", "image/png"]) | VALUE,
    "content": B64 | VALUE, "size": VALUE, "content_disposition": VALUE})
DATA = st.fixed_dictionaries({"id": TEXT | VALUE, "from": st.fixed_dictionaries(
    {"email": ADDRESS}, optional={"name": TEXT | VALUE, "raw": TEXT | VALUE}) | VALUE}, optional={
    "sender": VALUE, "subject": TEXT | VALUE, "date": TEXT | VALUE, "text": TEXT | VALUE,
    "html": (TEXT.map(lambda t: f"<p>{t}</p><script>{t}</script>")) | VALUE,
    "raw": TEXT | VALUE, "headers": st.dictionaries(TEXT | NASTY, TEXT | VALUE, max_size=4)
    | VALUE, "attachments": st.lists(ATTACHMENT, max_size=3) | VALUE,
    "spf_check": VALUE, "dkim_check": VALUE})
PAYLOAD = st.fixed_dictionaries({"type": st.just("inbound.message"), "data": DATA},
                                optional={"inbound_id": VALUE, "created_at": VALUE})
SETTLED = ("done", "held", "rejected")


def empty():
    """Each example starts from empty tables: Hypothesis replays examples, and a replay
    would otherwise be a duplicate of itself."""
    from app.db import db
    from app.queue import connection
    db.execute_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    connection().flushdb()


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=PAYLOAD)
def test_any_signed_delivery_is_stored_and_settled(app, client, payload):
    empty()
    body = json.dumps(payload).encode()
    resp = post_webhook(client, None, raw=body)
    assert resp.status_code in (200, 202, 400), resp.get_data(as_text=True)
    event = InboundEvent.get(InboundEvent.raw_body == body)
    run_jobs(app)
    event = InboundEvent.get_by_id(event.id)
    assert event.status in SETTLED, (event.status, event.last_error)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=200) | VALUE.map(lambda v: json.dumps(v).encode()))
def test_any_signed_body_is_never_a_5xx_and_kept(client, body):
    empty()
    resp = post_webhook(client, None, raw=body)
    assert resp.status_code in (200, 202, 400)
    stored = InboundEvent.select().where(InboundEvent.raw_body == body).exists()
    assert stored or resp.get_json()["status"] == "test"


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payloads=st.lists(PAYLOAD, min_size=8, max_size=8))
def test_the_worker_is_healthy_after_hostile_deliveries(app, client, payloads):
    empty()
    for payload in payloads:
        post_webhook(client, None, raw=json.dumps(payload).encode())
    run_jobs(app)
    assert post_webhook(client, message(id="after-fuzz")).status_code == 202
    run_jobs(app)
    assert InboundEvent.get(InboundEvent.provider_message_id == "after-fuzz").status == "done"
    assert Article.select().where(Article.title == "Tidal power in Scotland").exists()
