"""The appliance's life, in order: a signed webhook becomes an article; a backup is
restored; a second release is deployed and rolled back; a broken release is refused."""
import hashlib
import hmac
import json
import time

import pytest

from tests.infra.helpers import https as _https

pytestmark = [pytest.mark.infra, pytest.mark.timeout(3600)]


def _wait(probe, timeout=90, interval=1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def _article_count(appliance, title):
    return int(appliance.sql(f"select count(*) from articles where title = '{title}'") or 0)


def _post_webhook(appliance, message_id, subject):
    body = json.dumps({
        "type": "inbound.message", "inbound_id": f"in-{message_id}",
        "data": {"id": message_id, "from": {"email": "ops@example.com", "name": "Ops"},
                 "subject": subject, "html": None, "attachments": [],
                 "text": "Tomatoes need sun, water and patience. " * 30}}).encode()
    secret = appliance.env_value("MAILERSEND_WEBHOOK_SECRET").encode()
    signature = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return _https(appliance.ip, "/webhooks/mailersend", "POST", body=body,
                  headers={"Content-Type": "application/json", "Signature": signature})


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


def test_backup_produces_a_restorable_dump(appliance, host):
    host.run_test("install -o simplr -g simplr -d /var/lib/simplr/storage/infra && "
                  "echo kept > /var/lib/simplr/storage/infra/marker.txt")
    run = host.run("/usr/local/sbin/simplr-backup all")
    assert run.rc == 0, run.stdout + run.stderr
    dumps = host.check_output("ls /var/backups/simplr/db").split()
    assert dumps and all(name.endswith(".dump") for name in dumps)
    assert "done: simplr-backup all" in host.file("/var/log/simplr-backup.log").content_string
    # Lose the data, then bring the backup back with the restore playbook.
    appliance.sql("truncate articles cascade")
    host.run_test("rm -rf /var/lib/simplr/storage/infra")
    assert _article_count(appliance, "Hello") == 0
    appliance.playbook("restore.yml", "restore")
    assert _article_count(appliance, "Hello") == 1
    assert host.file("/var/lib/simplr/storage/infra/marker.txt").content_string == "kept\n"
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
