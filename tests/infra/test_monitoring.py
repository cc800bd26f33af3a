"""Monitoring on the host: Prometheus, Alertmanager and the exporters on localhost only,
every target scraped, and a rule that fires for real mailed through the app's SMTP."""
import json
import shlex
import time

import pytest

pytestmark = [pytest.mark.infra, pytest.mark.timeout(3600)]

BACKUP_METRIC = "/var/lib/prometheus/node-exporter/simplr_backup.prom"


def _until(probe, timeout=120, interval=2.0):
    deadline = time.monotonic() + timeout
    while not (value := probe()) and time.monotonic() < deadline:
        time.sleep(interval)
    return value


def _query(host, promql):
    out = host.check_output("curl -s --get --data-urlencode "
                            f"query={shlex.quote(promql)} http://127.0.0.1:9090/api/v1/query")
    return json.loads(out)["data"]["result"]


@pytest.mark.parametrize("port", [9090, 9093, 9100, 9115, 9121, 9187])
def test_monitoring_listens_on_localhost_only(host, port):
    listeners = host.check_output(f"ss -Hltn 'sport = :{port}'").splitlines()
    assert listeners, f"nothing listens on {port}"
    for line in listeners:
        assert line.split()[3].startswith(("127.0.0.1:", "[::1]:")), line


def test_every_target_is_scraped_and_healthy(host):
    jobs = {"prometheus", "node", "postgres", "redis", "simplr", "simplr_health"}

    def all_up():
        up = {r["metric"]["job"]: r["value"][1] for r in _query(host, "up")}
        return set(up) == jobs and set(up.values()) == {"1"} and up
    assert _until(all_up), _query(host, "up")
    # Waited for, not read once: the tests before may have just restarted the app (the
    # llm role's off-run does), and the last probe may be from during that restart.
    for metric in ("probe_success", "pg_up", "redis_up"):
        assert _until(lambda m=metric: [r["value"][1] for r in _query(host, m)] == ["1"]), \
            (metric, _query(host, metric))
    assert _query(host, "simplr_queue_depth"), "the app's own metrics"


def test_a_stale_backup_is_mailed_as_an_alert(host):
    """The backup's metric says its last success was 27 h ago: the rule fires and
    Alertmanager mails it to the sink, through the app's SMTP settings."""
    before = host.run(f"cat {BACKUP_METRIC}").stdout
    stale = int(time.time()) - 27 * 3600
    host.run_test(f"printf 'simplr_backup_last_success_timestamp_seconds {stale}\\n' > "
                  f"{BACKUP_METRIC}.tmp && chmod 644 {BACKUP_METRIC}.tmp && "
                  f"mv {BACKUP_METRIC}.tmp {BACKUP_METRIC}")
    try:
        def mailed():
            sink = host.run("journalctl -u simplr-mailsink --no-pager -o cat").stdout
            return "SimplrBackupStale" in sink and sink
        assert _until(mailed), host.run("journalctl -u prometheus-alertmanager --no-pager "
                                        "-n 30 -o cat").stdout
        assert "mail to ops@simplr-test.example" in mailed()
    finally:
        host.run(f"printf %s {shlex.quote(before)} > {BACKUP_METRIC}")
