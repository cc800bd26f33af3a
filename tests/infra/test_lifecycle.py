"""The appliance's life, in order: a signed webhook becomes an article; a backup is
restored; a second release is deployed and rolled back; a broken release is refused."""
import json

import pytest

from tests.infra.helpers import https as _https
from tests.infra.helpers import post_webhook
from tests.infra.helpers import wait as _wait

pytestmark = [pytest.mark.infra, pytest.mark.timeout(3600)]


def _article_count(appliance, title):
    return int(appliance.sql(f"select count(*) from articles where title = '{title}'") or 0)


def _post_webhook(appliance, message_id, subject):
    return post_webhook(appliance, message_id, subject,
                        "Tomatoes need sun, water and patience. " * 30)


def _healthy(appliance):
    status, _, body = _https(appliance.ip, "/health")
    return status == 200 and b"ok" in body


def test_unsigned_webhook_rejected(appliance):
    status, _, _ = _https(appliance.ip, "/webhooks/mailersend", "POST",
                          body=b'{"type":"inbound.message"}',
                          headers={"Content-Type": "application/json", "Signature": "00" * 32})
    assert status == 401


def test_signed_webhook_becomes_an_article(appliance):
    status, _, body = _post_webhook(appliance, "infra-msg-1", "Hello")
    assert status == 202, body
    assert _wait(lambda: _article_count(appliance, "Hello") == 1), \
        appliance.sql("select status, attempts, last_error from inbound_events")


def test_confirmation_is_sent_by_the_mail_worker(appliance, host):
    """The allow-listed sender is mailed a confirmation: queued on `mail`, sent by
    simplr-mailer (never by an ingest worker) to the local sink."""
    def journal(unit):
        return host.run(f"journalctl -u '{unit}' --no-pager -o cat").stdout
    assert _wait(lambda: "mail to ops@example.com: Saved: Hello" in journal("simplr-mailsink")), \
        journal("simplr-mailer")[-3000:]
    assert "confirmation for article" in journal("simplr-mailer")
    assert "confirmation for article" not in journal("simplr-worker@*")


def test_backup_set_is_restored_in_place_of_the_live_data(appliance, host):
    host.run_test("install -o simplr -g simplr -d /var/lib/simplr/storage/infra && "
                  "echo kept > /var/lib/simplr/storage/infra/marker.txt")
    run = host.run("/usr/local/sbin/simplr-backup all")
    assert run.rc == 0, run.stdout + run.stderr
    sets = host.check_output("ls /var/backups/simplr/sets").split()
    assert sets, run.stdout
    newest = f"/var/backups/simplr/sets/{sets[-1]}"
    assert host.run(f"cd {newest} && sha256sum -c --quiet SHA256SUMS").rc == 0
    assert "articles 1\n" in host.file(f"{newest}/counts").content_string
    assert "done: simplr-backup all" in host.file("/var/log/simplr-backup.log").content_string
    assert "simplr_backup_last_run_ok 1" in host.file(
        "/var/lib/prometheus/node-exporter/simplr_backup.prom").content_string
    # Lose the data, then bring the backup back with the restore playbook.
    appliance.sql("truncate articles cascade")
    host.run_test("rm -rf /var/lib/simplr/storage/infra")
    assert _article_count(appliance, "Hello") == 0
    appliance.playbook("restore.yml", "restore")
    assert _article_count(appliance, "Hello") == 1
    assert host.file("/var/lib/simplr/storage/infra/marker.txt").content_string == "kept\n"
    assert _healthy(appliance)
    kept = appliance.sql("select datname from pg_database where datname like 'simplr_before_%'")
    assert kept, "the database from before the restore is kept"
    assert _article_count(appliance, "Hello") == 1


def test_corrupt_backup_leaves_the_live_data_alone(appliance, host):
    """A set whose dump breaks off half-way (checksums recomputed, so only the restore
    itself can notice) is refused; the live database and attachments are untouched."""
    newest = host.check_output("ls -d /var/backups/simplr/sets/2* | tail -1")
    bad = "/var/backups/simplr/sets/29990101-000000"
    host.run_test(f"cp -a {newest} {bad} && cd {bad} && "
                  "truncate -s $(( $(stat -c %s simplr.dump) / 2 )) simplr.dump && "
                  "sha256sum simplr.dump storage.tar.gz counts > SHA256SUMS")
    before = appliance.sql("select count(*) from articles")
    rc, log = appliance.playbook("restore.yml", "restore-corrupt", "-e",
                                 f"backup_restore_set={bad}", check=False)
    host.run_test(f"rm -rf {bad}")
    assert rc != 0 and "were not touched" in log, log[-3000:]
    assert appliance.sql("select count(*) from articles") == before
    assert appliance.sql("select count(*) from pg_database where datname = 'simplr_restore'") == "0"
    assert host.file("/var/lib/simplr/storage/infra/marker.txt").exists
    assert _healthy(appliance)


def test_restarted_worker_finishes_its_job_once(appliance, host):
    """A deploy restarts the workers: a job in hand is finished (warm shutdown), not
    killed and retried."""
    out = "/var/lib/simplr/storage/infra/job-ran"
    enqueue = ("import os, redis, rq; q = rq.Queue('ingest', connection=redis.Redis.from_url("
               "os.environ['REDIS_URL'])); "
               f"print(q.enqueue('os.system', 'sleep 6; echo ran >> {out}', job_timeout=60).id)")
    job = host.check_output(f"set -a; . /etc/simplr/simplr.env; /opt/simplr/current/venv/bin/"
                            f"python -c {json.dumps(enqueue)}")
    status = ("set -a; . /etc/simplr/simplr.env; /opt/simplr/current/venv/bin/python -c "
              + json.dumps("import os, redis, rq; print(rq.job.Job.fetch("
                           f"'{job}', connection=redis.Redis.from_url(os.environ['REDIS_URL']))"
                           ".get_status().value)"))
    assert _wait(lambda: host.check_output(status) == "started", timeout=30)
    host.run_test("systemctl restart simplr-worker@1 simplr-worker@2")
    assert host.check_output(status) == "finished"
    assert host.file(out).content_string == "ran\n"
    assert _healthy(appliance)


def test_deploy_second_release_then_rollback(appliance, host):
    first = appliance.current_release()
    second_src = appliance.snapshot(
        "second", lambda d: (d / "app" / "RELEASE").write_text("second\n"))
    appliance.playbook("deploy.yml", "deploy-second", "-e", f"app_source_dir={second_src}")
    second = appliance.current_release()
    assert second != first
    assert host.file("/opt/simplr/previous").linked_to.endswith(first)
    assert host.file(f"/opt/simplr/releases/{first}").is_directory
    assert _healthy(appliance)

    appliance.playbook("rollback.yml", "rollback")
    assert appliance.current_release() == first
    assert _healthy(appliance)
    assert _article_count(appliance, "Hello") == 1


def test_broken_release_is_rolled_back_by_deploy(appliance, host):
    running = appliance.current_release()
    previous = host.file("/opt/simplr/previous").linked_to

    def breaks(d):
        (d / "app" / "wsgi.py").write_text('raise RuntimeError("deliberately broken release")\n')
    broken_src = appliance.snapshot("broken", breaks)
    rc, log = appliance.playbook("deploy.yml", "deploy-broken",
                                 "-e", f"app_source_dir={broken_src}", check=False)
    assert rc != 0, "deploy of a broken release must fail"
    assert "switched back to" in log
    assert appliance.current_release() == running
    assert host.file("/opt/simplr/previous").linked_to == previous
    assert _healthy(appliance)
    for unit in ("simplr-web", "simplr-worker@1", "simplr-worker@2", "simplr-mailer"):
        assert host.service(unit).is_running


MARKER_MIGRATION = '''"""Test: a change the release before cannot run on."""
PREVIOUS_RELEASE_RUNS = False


def up(db, ctx):
    db.execute_sql("ALTER TABLE articles ADD COLUMN test_marker int")
'''


def _has_marker_column(appliance):
    return appliance.sql("select count(*) from information_schema.columns where "
                         "table_name = 'articles' and column_name = 'test_marker'") == "1"


def test_deploy_does_not_switch_back_across_an_incompatible_migration(appliance, host):
    """A broken release whose migration the running release cannot run on is left in
    place, saying why; rollback.yml with the pre-deploy snapshot brings back both the
    previous release and the database from before the deploy."""
    running = appliance.current_release()
    articles = appliance.sql("select count(*) from articles")

    def change(d):
        (d / "app" / "migrations" / "0099_test_marker.py").write_text(MARKER_MIGRATION)
        (d / "app" / "wsgi.py").write_text('raise RuntimeError("deliberately broken")\n')
    source = appliance.snapshot("incompatible", change)
    rc, log = appliance.playbook("deploy.yml", "deploy-incompatible",
                                 "-e", f"app_source_dir={source}", check=False)
    assert rc != 0 and "NOT switched back" in log and "0099_test_marker" in log, log[-4000:]
    assert appliance.current_release() != running and _has_marker_column(appliance)
    new = appliance.current_release()
    snapshot = host.file(f"/opt/simplr/releases/{new}/.pre-deploy-snapshot").content_string
    assert host.file(snapshot.strip()).is_directory

    appliance.playbook("rollback.yml", "rollback-snapshot",
                       "-e", "app_rollback_restore_snapshot=true")
    assert appliance.current_release() == running
    assert not _has_marker_column(appliance)
    assert appliance.sql("select count(*) from articles") == articles
    assert _healthy(appliance)


def test_old_releases_are_pruned(appliance, host):
    """app_keep_releases is 2 in the test inventory; current and previous are never pruned."""
    before = set(host.check_output("ls -tr /opt/simplr/releases").split())
    running = appliance.current_release()
    fourth_src = appliance.snapshot(
        "fourth", lambda d: (d / "app" / "RELEASE").write_text("fourth\n"))
    appliance.playbook("deploy.yml", "deploy-fourth", "-e", f"app_source_dir={fourth_src}")
    fourth = appliance.current_release()
    after = set(host.check_output("ls /opt/simplr/releases").split())
    assert fourth not in before and fourth in after
    assert running in after  # now "previous"
    assert len(after) == 3, (before, after)  # the two newest + previous
    assert _healthy(appliance)


def test_webhook_after_deploys_still_ingested(appliance):
    status, _, _ = _post_webhook(appliance, "infra-msg-2", "After deploys")
    assert status == 202
    assert _wait(lambda: _article_count(appliance, "After deploys") == 1)
