"""An event's attempts are counted on the event, across retries, kills and sweeps; one event
is worked by one worker at a time."""
import psycopg2

from app.ingest.jobs import ingest_event, sweep_events
from app.models import Article, InboundEvent
from app.models.events import LOCK_SPACE
from tests.conftest import post_webhook, run_jobs
from tests.factories import message


def test_sweeps_cannot_reset_the_retry_limit(app, client, config):
    config(INGEST_MAX_ATTEMPTS=3)
    post_webhook(client, message())
    event_id = InboundEvent.get().id
    for _ in range(3):  # as if a worker died mid-job three times, each swept back
        InboundEvent.update(status="processing",
                            attempts=InboundEvent.attempts + 1).execute()
        assert sweep_events(received_for=0, processing_for=0) == [event_id]
        InboundEvent.update(status="processing").execute()
    run_jobs(app)
    event = InboundEvent.get()
    assert event.status == "failed" and event.attempts == 3
    assert event.last_error.startswith("gave up after 3 attempts")
    assert Article.select().count() == 0
    listing = app.test_cli_runner().invoke(args=["events", "list", "--status", "failed"]).output
    assert str(event_id) in listing and "gave up" in listing
    app.test_cli_runner().invoke(args=["events", "replay", str(event_id)])
    run_jobs(app)
    assert InboundEvent.get().status == "done"


def test_an_event_locked_by_another_worker_is_left_to_it(app, client, database_url):
    post_webhook(client, message())
    event_id = InboundEvent.get().id
    other = psycopg2.connect(database_url)  # another worker's session, mid-job
    try:
        other.cursor().execute("SELECT pg_advisory_lock(%s)", (LOCK_SPACE + event_id,))
        assert ingest_event(event_id) is None
        event = InboundEvent.get()
        assert event.status == "received" and event.attempts == 0
        other.cursor().execute("SELECT pg_advisory_unlock(%s)", (LOCK_SPACE + event_id,))
    finally:
        other.close()
    assert ingest_event(event_id) == Article.get().id
    assert InboundEvent.get().attempts == 1


def test_a_killed_job_is_recorded_as_failed(app, client):
    from app.ingest.jobs import abandon_event
    post_webhook(client, message())
    InboundEvent.update(status="processing", attempts=1).execute()
    abandon_event(InboundEvent.get().id, "work horse killed (signal 9)")
    event = InboundEvent.get()
    assert event.status == "failed" and "signal 9" in event.last_error


def test_a_failed_attempt_leaves_no_originals_behind(app, client, config, tmp_path):
    """Attachments are read before the embedding server is called; when the attempt fails
    (here: it is unreachable), neither a row nor a file of them is left."""
    import os

    from app.models import SourceFile
    from tests.factories import EMBEDDER_DOWN
    from tests.hostile_pdfs import attachment
    config(STORAGE_DIR=str(tmp_path / "storage"), **EMBEDDER_DOWN)
    notes = attachment("notes.txt", "text/plain", b"Kelp forests and urchins. " * 20)
    assert post_webhook(client, message(attachments=[notes])).status_code == 202
    run_jobs(app)
    event = InboundEvent.get()
    assert event.status == "failed" and "Connection" in event.last_error, event.last_error
    assert SourceFile.select().count() == 0 and not os.path.exists(tmp_path / "storage")
