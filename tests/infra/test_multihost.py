"""Several hosts by inventory (inventory/test-multi): edge+web, a second web host, a worker
host, the PostgreSQL primary and a replica, each a systemd-nspawn machine with its own
network stack on one bridge (harness/multi.sh), provisioned by site.yml. The tests run in
file order and build on each other: fencing, ingest through the edge onto the worker
host, streaming replication and its lag metric, a web host dying, a rolling deploy under
a request loop (zero failed requests), failover to the replica and the old primary's
rejoin as a replica.
"""
import json
import os
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.infra.conftest import BIN, HARNESS, _cannot, _sh, _snapshot_source, provision_twice
from tests.infra.helpers import connects, https, post_webhook, ssh, wait

pytestmark = [pytest.mark.infra, pytest.mark.timeout(2400)]
MRUN = Path(os.environ.get("SIMPLR_MULTI_RUN", "/tmp/simplr-multi"))
SSH_CONFIG = MRUN / "ssh_config"
EDGE, WEB2, WORKER, DB, REPLICA = ("simplr-edge", "simplr-web2", "simplr-worker", "simplr-db",
                                   "simplr-replica")


class Cluster:
    """The five provisioned hosts and the controller-side helpers to drive them."""

    server_name = EDGE

    def __init__(self, source, addresses):
        self.source = source
        self.addresses = addresses
        self.ip = addresses[EDGE]
        self.primary = DB

    def playbook(self, name, log, *extra, check=True):
        cmd = [str(BIN / "ansible-playbook"), "-i", "inventory/test-multi", f"playbooks/{name}",
               "-e", f"app_source_dir={self.source}", *extra]
        env = {"SIMPLR_MULTI_SSH_CONFIG": str(SSH_CONFIG), "ANSIBLE_FORCE_COLOR": "0",
               "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
        return _sh(cmd, log, env=env, check=check)

    def harness(self, *args, log):
        return _sh(["bash", str(HARNESS / "multi.sh"), *args], log, timeout=600)

    def ssh(self, host, command, check=True):
        return ssh(SSH_CONFIG, host, command, check)

    def sql(self, query, host=None):
        out = self.ssh(host or self.primary,
                       f"cd / && runuser -u postgres -- psql -d simplr -XtAc {json.dumps(query)}")
        return out.stdout.strip()

    def env_value(self, name):
        return self.ssh(EDGE, f"sed -n 's/^{name}=//p' /etc/simplr/simplr.env").stdout.strip()

    def release(self, host):
        return Path(self.ssh(host, "readlink /opt/simplr/current").stdout.strip()).name


@pytest.fixture(scope="module")
def cluster():
    """Boots and provisions the five hosts (twice: the second run must change nothing);
    always torn down afterwards."""
    if os.geteuid() != 0 or not shutil.which("systemd-nspawn"):
        _cannot("needs root and systemd-nspawn to boot the test hosts")
    _sh(["bash", str(HARNESS / "prepare.sh")], "multi-prepare", timeout=3600)
    _sh(["bash", str(HARNESS / "multi.sh"), "down"], "multi-down-stale", check=False)
    source = _snapshot_source()
    try:
        _sh(["bash", str(HARNESS / "multi.sh"), "up"], "multi-up", timeout=600)
        addresses = json.loads((MRUN / "hosts.json").read_text())
        hosts = Cluster(source, addresses)
        provision_twice(hosts, "multi-site")
        yield hosts
    finally:
        _sh(["bash", str(HARNESS / "multi.sh"), "down"], "multi-down", check=False)
        shutil.rmtree(source, ignore_errors=True)


def _ingested(cluster, message_id):
    return cluster.sql("SELECT status FROM inbound_events "
                       f"WHERE provider_message_id = '{message_id}'")


def _caught_up(cluster, replica):
    count = cluster.sql("SELECT count(*) FROM articles")
    assert wait(lambda: cluster.sql("SELECT count(*) FROM articles", host=replica) == count,
                timeout=30), count


def test_private_ports_are_fenced(cluster):
    """PostgreSQL, Redis and gunicorn answer the hosts of the groups that use them only."""
    db, web2 = cluster.addresses[DB], cluster.addresses[WEB2]
    # This machine (the bridge's address) is in no group.
    assert not connects(db, 5432) and not connects(db, 6379) and not connects(web2, 8000)
    # The replica replicates from the primary but is no app host: no Redis for it.
    probe = f"timeout 3 bash -c 'echo > /dev/tcp/{db}/{{port}}'"
    assert cluster.ssh(REPLICA, probe.format(port=5432), check=False).returncode == 0
    assert cluster.ssh(REPLICA, probe.format(port=6379), check=False).returncode != 0
    assert cluster.ssh(WORKER, probe.format(port=6379), check=False).returncode == 0


def _app_sql(cluster, host, url, query):
    """A query from an app host, with the app's own psycopg2 (no psql there)."""
    script = ("import psycopg2, sys; c = psycopg2.connect(sys.argv[1]); cur = c.cursor(); "
              "cur.execute(sys.argv[2]); print(cur.fetchone()[0])")
    return cluster.ssh(host, f"/opt/simplr/current/venv/bin/python -c {json.dumps(script)} "
                             f"{json.dumps(url)} {json.dumps(query)}", check=False)


def test_database_takes_tls_with_a_password_only(cluster):
    """From the worker host: verify-full against the private CA works; no TLS is refused."""
    url = cluster.ssh(WORKER, "sed -n 's/^DATABASE_URL=//p' /etc/simplr/simplr.env").stdout.strip()
    assert "sslmode=verify-full" in url and f"@{cluster.addresses[DB]}:" in url
    ssl_on = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    ok = _app_sql(cluster, WORKER, url, ssl_on)
    assert ok.returncode == 0 and ok.stdout.strip() == "True", ok.stderr
    refused = _app_sql(cluster, WORKER, url.split("?")[0] + "?sslmode=disable", "SELECT 1")
    assert refused.returncode != 0 and "no encryption" in refused.stderr, refused.stderr
    parts = urlsplit(url)
    wrong_password = parts._replace(netloc=f"{parts.username}:wrong@{parts.hostname}:{parts.port}")
    wrong = _app_sql(cluster, WORKER, urlunsplit(wrong_password), "SELECT 1")
    assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr, wrong.stderr


def test_webhook_through_the_edge_is_processed_on_the_worker_host(cluster):
    status, _, body = post_webhook(cluster, "multi-msg-1", "Across hosts", "Filed by a worker.")
    assert status == 202, body
    assert wait(lambda: _ingested(cluster, "multi-msg-1") == "done", timeout=120), \
        _ingested(cluster, "multi-msg-1")
    worker_log = cluster.ssh(WORKER, "journalctl -u 'simplr-worker@*' --no-pager -o cat").stdout
    assert "ingest_event" in worker_log
    def active(host, unit):
        return cluster.ssh(host, f"systemctl is-active {unit}", check=False).stdout.strip()
    assert [active(web, "simplr-worker@1") for web in (EDGE, WEB2)] == ["inactive"] * 2
    assert active(WORKER, "simplr-web") == "inactive"
    assert active(WORKER, "simplr-worker@1") == "active"


def test_replica_streams_and_its_lag_is_a_metric(cluster):
    assert cluster.sql("SELECT application_name || ' ' || state FROM pg_stat_replication") == \
        f"{REPLICA} streaming"
    _caught_up(cluster, REPLICA)
    assert cluster.sql("SELECT pg_is_in_recovery()", host=REPLICA) == "t"

    def lag():
        out = cluster.ssh(DB, "curl -s 'http://127.0.0.1:9090/api/v1/query?query=simplr_replica_lag_bytes'")
        return json.loads(out.stdout)["data"]["result"]
    result = wait(lag, timeout=60)
    assert result and result[0]["metric"]["replica"] == REPLICA, result


def _get(cluster, path, timeout=15):
    try:
        return https(cluster.ip, path, server_name=EDGE, timeout=timeout)[0]
    except OSError as exc:
        return repr(exc)


def test_a_web_host_dies_and_the_site_keeps_serving(cluster):
    """Requests that nginx had sent to the dead host, or sends on a connection it kept
    open to it, wait for nginx_proxy_read_timeout (20 s) and are then answered by the
    other web host; the client waits longer than that."""
    cluster.harness("kill", WEB2, log="multi-kill-web2")
    started = time.monotonic()
    statuses = []
    for _ in range(20):  # under nginx's 10 requests a second from one address
        statuses.append(_get(cluster, "/login", timeout=60))
        time.sleep(0.2)
    assert statuses == [200] * 20, statuses
    assert time.monotonic() - started < 90
    # A replacement machine, provisioned by site.yml, is back in the upstream.
    cluster.harness("start", WEB2, log="multi-start-web2")
    cluster.playbook("site.yml", "multi-site-web2-replaced")
    health = cluster.ssh(EDGE, f"curl -s -o /dev/null -w '%{{http_code}}' http://{cluster.addresses[WEB2]}:8000/health")
    assert health.stdout == "200"


class RequestLoop(threading.Thread):
    """Requests through the edge until stopped, paced under nginx's rate limits: pages,
    and a signed webhook a second. Records every status (or error)."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.cluster, self.results, self.stop = cluster, [], threading.Event()
        self.webhooks = []

    def run(self):
        n = 0
        while not self.stop.is_set() and n < 3000:
            n += 1
            if n % 4 == 0:
                try:
                    status = post_webhook(self.cluster, f"loop-{n}", f"Loop {n}", "Deploying.")[0]
                    self.webhooks.append(f"loop-{n}")
                except OSError as exc:
                    status = repr(exc)
            else:
                status = _get(self.cluster, "/login")
            self.results.append(status)
            time.sleep(0.25)


def test_rolling_deploy_fails_no_request(cluster):
    before = {host: cluster.release(host) for host in (EDGE, WEB2, WORKER)}
    source = Path(cluster.source)
    new = Path(str(source) + "-v2")
    shutil.copytree(source, new)
    (new / "app" / "release_note.txt").write_text("second release\n")
    loop = RequestLoop(cluster)
    loop.start()
    try:
        cluster.playbook("deploy.yml", "multi-deploy", "-e", f"app_source_dir={new}")
    finally:
        loop.stop.set()
        loop.join(30)
    failed = [s for s in loop.results if s not in (200, 202)]
    assert len(loop.results) > 40 and not failed, (len(loop.results), failed[:20])
    after = {host: cluster.release(host) for host in (EDGE, WEB2, WORKER)}
    assert len(set(after.values())) == 1, after
    assert not set(after.values()) & set(before.values()), (before, after)
    done = ("SELECT count(*) FROM inbound_events "
            "WHERE provider_message_id LIKE 'loop-%' AND status = 'done'")
    assert wait(lambda: cluster.sql(done) == str(len(loop.webhooks)), timeout=180), \
        (cluster.sql(done), len(loop.webhooks))


def test_failover_to_the_replica_keeps_ingesting(cluster):
    cluster.harness("kill", DB, log="multi-kill-db")
    cluster.playbook("failover.yml", "multi-failover")
    cluster.primary = REPLICA
    assert cluster.sql("SELECT pg_is_in_recovery()") == "f"
    assert cluster.env_value("DATABASE_URL").count(cluster.addresses[REPLICA]) == 1
    status, _, body = post_webhook(cluster, "multi-msg-2", "After failover", "Replica promoted.")
    assert status == 202, body
    assert wait(lambda: _ingested(cluster, "multi-msg-2") == "done", timeout=180), \
        _ingested(cluster, "multi-msg-2")
    assert _get(cluster, "/health") == 200


def test_old_primary_rejoins_as_a_replica(cluster):
    cluster.harness("start", DB, log="multi-start-db")
    cluster.playbook("site.yml", "multi-site-rejoin")
    assert cluster.sql("SELECT pg_is_in_recovery()", host=DB) == "t"
    assert cluster.sql("SELECT application_name || ' ' || state FROM pg_stat_replication") == \
        f"{DB} streaming"
    _caught_up(cluster, DB)


def test_switching_back_fences_the_live_primary_until_it_rejoins(cluster):
    """A planned failover back to the first host: the primary still answers, so it is
    fenced (not killed), and site.yml rebuilds it as a replica."""
    cluster.playbook("failover.yml", "multi-switch-back", "-e", f"failover_to={DB}")
    cluster.primary = DB
    assert cluster.sql("SELECT pg_is_in_recovery()") == "f"
    fenced = cluster.ssh(REPLICA, "test -e /etc/simplr/fenced && systemctl is-active "
                                  "postgresql@15-main redis-server prometheus", check=False)
    assert fenced.stdout.split() == ["inactive"] * 3, fenced.stdout
    status, _, body = post_webhook(cluster, "multi-msg-3", "Switched back", "Primary again.")
    assert status == 202, body
    assert wait(lambda: _ingested(cluster, "multi-msg-3") == "done", timeout=180)
    cluster.playbook("site.yml", "multi-site-rejoin-fenced")
    assert cluster.sql("SELECT application_name || ' ' || state FROM pg_stat_replication") == \
        f"{REPLICA} streaming"
    _caught_up(cluster, REPLICA)


def test_failover_to_a_host_that_is_no_replica_changes_nothing(cluster):
    """The target is checked before anything is fenced: the primary keeps serving."""
    _, log = cluster.playbook("failover.yml", "multi-failover-refused", "-e",
                              f"failover_to={WORKER}", check=False)
    assert "Check that it is a replica" in log and "PLAY [Fence the old primary]" not in log
    assert cluster.sql("SELECT pg_is_in_recovery()") == "f"
    assert cluster.ssh(DB, "test -e /etc/simplr/fenced", check=False).returncode != 0
    assert _get(cluster, "/health") == 200
