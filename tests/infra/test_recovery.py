"""The disaster-recovery drill, last in the session: the host's backup reaches the
offsite container (restic over sftp); the host is then replaced by a fresh one,
provisioned with site.yml, and restore.yml brings the articles and attachments back
from the offsite repository alone."""
import time

import pytest

from tests.infra.conftest import TIMINGS
from tests.infra.test_lifecycle import _article_count, _healthy, _post_webhook, _wait

pytestmark = [pytest.mark.infra, pytest.mark.timeout(3600)]

MARKER = "/var/lib/simplr/storage/drill/attachment.txt"


def test_offsite_copy_fails_loudly_when_the_server_is_away(host):
    """A backup that cannot reach the offsite repository exits non-zero, logs FAILED and
    says so in its metric; the local set is still written."""
    before = len(host.check_output("ls /var/backups/simplr/sets").split())
    run = host.run("mv /etc/simplr/offsite_ssh_key /etc/simplr/offsite_ssh_key.away && "
                   "/usr/local/sbin/simplr-backup all; rc=$?; "
                   "mv /etc/simplr/offsite_ssh_key.away /etc/simplr/offsite_ssh_key; exit $rc")
    assert run.rc != 0 and "FAILED: offsite copy" in run.stdout, run.stdout
    assert len(host.check_output("ls /var/backups/simplr/sets").split()) == before + 1
    prom = host.file("/var/lib/prometheus/node-exporter/simplr_backup_offsite.prom")
    assert "simplr_backup_offsite_last_run_ok 0" in prom.content_string


def test_disaster_recovery_drill(appliance, host):
    assert _post_webhook(appliance, "drill-msg", "Before the disaster")[0] == 202
    assert _wait(lambda: _article_count(appliance, "Before the disaster") == 1)
    host.run_test(f"install -o simplr -g simplr -d $(dirname {MARKER}) && "
                  f"echo 'from the old host' > {MARKER}")
    run = host.run("/usr/local/sbin/simplr-backup all")
    assert run.rc == 0 and "offsite: " in run.stdout, run.stdout
    articles = appliance.sql("select count(*) from articles")

    start = time.monotonic()
    appliance.rebuild()
    assert _article_count(appliance, "Before the disaster") == 0  # a fresh, empty host
    appliance.playbook("restore.yml", "drill-restore", "-e", "backup_restore_from=offsite")
    TIMINGS["disaster-recovery drill"] = time.monotonic() - start

    assert appliance.sql("select count(*) from articles") == articles
    assert _article_count(appliance, "Before the disaster") == 1
    assert host.file(MARKER).content_string == "from the old host\n"
    assert _healthy(appliance)
