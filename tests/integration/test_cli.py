"""Ops commands against the real database: migrate, events list, users, reembed."""
import json

from app.db import db
from app.models import Chunk, User
from tests.conftest import post_webhook, run_jobs
from tests.factories import message


def test_migrate_twice_is_a_no_op(app, clean):
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0 and "0 migration(s) applied" in result.output
    rows = db.execute_sql("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert rows[0] == (1,) and len(rows) == len({r[0] for r in rows})


def test_migrate_plan_lists_what_is_pending_and_whether_the_old_release_runs(app, clean):
    """Every migration says whether the release before it runs on its schema; --plan
    shows the pending ones (the deploy reads it) and applies nothing."""
    import importlib

    from app import migrations
    for _, name in migrations.available():
        module = importlib.import_module(f"app.migrations.{name}")
        assert isinstance(module.PREVIOUS_RELEASE_RUNS, bool), name
    runner = app.test_cli_runner()
    assert runner.invoke(args=["migrate", "--plan"]).output == ""
    last, name = migrations.available()[-1]
    db.execute_sql("DELETE FROM schema_migrations WHERE version = %s", (last,))
    try:
        plan = runner.invoke(args=["migrate", "--plan"]).output.splitlines()
        assert [json.loads(line) for line in plan] == [
            {"version": last, "name": name, "previous_release_runs": True}]
        assert last not in migrations.applied()
    finally:
        db.execute_sql("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                       (last, name))


def test_users_create_normalises_and_is_idempotent(app, clean):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create", "Zoe <ZOE@Example.com>"]).exit_code == 0
    assert runner.invoke(args=["users", "create", "zoe@example.com"]).exit_code == 0
    assert [u.email for u in User.select()] == ["zoe@example.com"]
    assert runner.invoke(args=["users", "create", "nope"]).exit_code != 0


def test_events_list_shows_failures(app, client):
    post_webhook(client, message())
    output = app.test_cli_runner().invoke(args=["events", "list"]).output
    assert "received" in output and "ann.reader@example.com" in output


def test_reembed_restores_vectors_and_resizes_the_column(app, client):
    from app.cli_users import column_dimensions, resize_vector_column
    post_webhook(client, message())
    run_jobs(app)
    before = {c.id: list(c.embedding) for c in Chunk.select()}
    resize_vector_column(8)  # as if the previous model had 8 dimensions
    assert column_dimensions() == 8 and Chunk.select().where(Chunk.embedding.is_null()).count()

    result = app.test_cli_runner().invoke(args=["reembed"])
    assert result.exit_code == 0, result.output
    assert column_dimensions() == 384
    after = {c.id: list(c.embedding) for c in Chunk.select()}
    assert after.keys() == before.keys()
    for cid, vec in after.items():
        assert abs(sum(a * b for a, b in zip(vec, before[cid], strict=True)) - 1) < 1e-3
