"""What site.yml leaves on a fresh host: packages, services, ports, TLS, headers, files."""
import http.client
import socket
import ssl
import warnings

import pytest

from tests.infra.conftest import RUN, _recap_changed
from tests.infra.helpers import https as _https

pytestmark = [pytest.mark.infra, pytest.mark.timeout(3600)]


@pytest.mark.parametrize("package", ["postgresql-15", "postgresql-15-pgvector", "redis-server",
                                     "nginx", "nftables", "cron", "python3-venv"])
def test_package_installed(host, package):
    assert host.package(package).is_installed


@pytest.mark.parametrize("service", ["postgresql", "redis-server", "nginx", "nftables", "cron",
                                     "simplr-web", "simplr-worker@1", "simplr-worker@2",
                                     "simplr-mailer", "simplr.target"])
def test_service_enabled_and_running(host, service):
    svc = host.service(service)
    assert svc.is_enabled
    assert svc.is_running


@pytest.mark.parametrize("port", [5432, 6379, 8000])
def test_backends_listen_on_localhost_only(host, port):
    assert host.socket(f"tcp://127.0.0.1:{port}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening
    assert not host.socket(f"tcp://:::{port}").is_listening
    listeners = host.check_output(f"ss -Hltn 'sport = :{port}'")
    for line in listeners.splitlines():
        local = line.split()[3]
        assert local.startswith(("127.0.0.1:", "[::1]:")), line


@pytest.mark.parametrize("port", [80, 443])
def test_web_ports_open(host, appliance, port):
    assert host.socket(f"tcp://0.0.0.0:{port}").is_listening
    socket.create_connection((appliance.ip, port), timeout=5).close()


def test_units_are_hardened_and_restart(host):
    for unit in ("simplr-web.service", "simplr-worker@1.service", "simplr-mailer.service"):
        props = host.check_output(f"systemctl show {unit} -p Restart -p NoNewPrivileges "
                                  "-p ProtectSystem -p PrivateTmp -p User -p ProtectHome")
        assert "Restart=always" in props
        assert "NoNewPrivileges=yes" in props
        assert "ProtectSystem=strict" in props
        assert "PrivateTmp=yes" in props
        assert "User=simplr" in props
    for unit in ("simplr-worker@1.service", "simplr-mailer.service"):
        # The work horse is left to finish its job; the stop waits past the job timeout.
        props = host.check_output(f"systemctl show {unit} -p KillMode -p TimeoutStopUSec")
        assert "KillMode=mixed" in props and "TimeoutStopUSec=3min 30s" in props, props


@pytest.mark.parametrize("unit", ["simplr-web", "simplr-worker@1", "simplr-mailer"])
def test_units_rate_ok_or_better_in_systemd_analyze_security(host, unit):
    """Exposure below 5.0 is "OK" (or "SAFE" below 2.0); docs/ops.md records each."""
    last = host.check_output(f"systemd-analyze security --no-pager {unit}").splitlines()[-1]
    score = float(last.split("exposure level for")[1].split(":")[1].split()[0])
    with open(RUN / "logs" / "security.txt", "a") as out:  # the figures docs/ops.md records
        out.write(last + "\n")
    assert score < 5.0, last


def test_only_first_worker_runs_the_scheduler(host):
    assert "--with-scheduler" in host.check_output("systemctl show simplr-worker@1 -p Environment")
    second = host.check_output("systemctl show simplr-worker@2 -p Environment")
    assert "--with-scheduler" not in second


def test_mail_has_its_own_worker(host):
    """simplr-mailer works only the mail queue and schedules its retries; it is part of
    simplr.target, so `systemctl restart simplr.target` restarts it too."""
    command = host.check_output("systemctl show simplr-mailer -p ExecStart")
    assert "worker --queues mail --with-scheduler" in command
    assert "simplr-mailer.service" in host.check_output("systemctl show simplr.target -p Wants")
    assert "simplr.target" in host.check_output("systemctl show simplr-mailer -p PartOf")


def test_app_user_is_a_system_user_and_not_a_superuser(host, appliance):
    user = host.user("simplr")
    assert user.exists and user.uid < 1000 and user.shell == "/usr/sbin/nologin"
    assert appliance.sql("select rolsuper from pg_roles where rolname='simplr'") == "f"
    assert appliance.sql("select extname from pg_extension where extname='vector'") == "vector"


def test_app_role_writes_rows_but_cannot_change_the_schema(host, appliance):
    """The web app and the workers connect as `simplr`, which owns nothing; migrations and
    the ops CLI connect as `simplr_owner` (a root-only env file of their own)."""
    assert appliance.sql("select pg_get_userbyid(datdba) from pg_database "
                         "where datname = 'simplr'") == "simplr_owner"
    assert appliance.sql("select count(*) from pg_tables where schemaname = 'public' "
                         "and tableowner <> 'simplr_owner'") == "0"
    psql = f"psql -XtA {appliance.env_value('DATABASE_URL')} -c"
    assert host.run(f"{psql} 'select count(*) from articles'").rc == 0
    for ddl in ("drop table articles", "create table stray (i int)", "truncate articles",
                "alter table articles add column stray int"):
        refused = host.run(f"{psql} '{ddl}'")
        assert refused.rc != 0 and ("permission denied" in refused.stderr
                                    or "must be owner" in refused.stderr), (ddl, refused.stderr)
    assert host.file("/etc/simplr/owner.env").mode == 0o600
    assert "simplr_owner" not in host.file("/etc/simplr/simplr.env").content_string


def test_postgres_tuned(appliance):
    assert appliance.sql("show listen_addresses") == "localhost"
    assert appliance.sql("show work_mem") == "8MB"
    assert appliance.sql("show password_encryption") == "scram-sha-256"


def test_redis_has_only_the_apps_acl_user(host, appliance):
    assert "NOAUTH" in host.run("redis-cli -h 127.0.0.1 ping").stdout
    url = appliance.env_value("REDIS_URL")
    user, password = url.split("//")[1].split("@")[0].split(":")
    assert user == "simplr"
    cli = f"REDISCLI_AUTH={password} redis-cli --no-auth-warning -h 127.0.0.1 --user simplr"
    assert host.check_output(f"{cli} ping") == "PONG"
    for dangerous in ("FLUSHALL", "CONFIG GET maxmemory", "KEYS *", "ACL LIST"):
        assert "NOPERM" in host.run(f"{cli} {dangerous}").stdout, dangerous
    default = host.run(f"REDISCLI_AUTH={password} redis-cli --no-auth-warning -h 127.0.0.1 ping")
    assert "PONG" not in default.stdout


def test_env_file_is_private(host):
    env = host.file("/etc/simplr/simplr.env")
    assert env.mode == 0o600
    assert env.user == "root" and env.group == "simplr"
    for key in ("APP_ENV=production", "COOKIE_SECURE=true", "STORAGE_DIR=/var/lib/simplr/storage",
                "DATABASE_URL=postgresql://simplr:", "MAX_CONTENT_LENGTH=26214400",
                "INBOUND_SENDER_POLICY=verified\n",
                "INBOUND_ALLOWED_SENDERS=ops@example.com,@simplr-test.example\n",
                "INBOUND_TRUSTED_AUTHSERV_IDS=mx.simplr-test.example\n",
                "INGEST_MAX_ATTEMPTS=6\n", "INGEST_MAX_PDF_PAGES=100\n",
                "EXTRACT_MEMORY_MB=512\n", "EXTRACT_CPU_SECONDS=20\n",
                "HEALTH_WORKER_QUEUES=ingest,default,mail\n"):
        assert key in env.content_string
    assert "EnvironmentFile=/etc/simplr/simplr.env" in host.file(
        "/etc/systemd/system/simplr-web.service").content_string


def test_storage_dir_is_persistent_and_owned_by_app(host):
    storage = host.file("/var/lib/simplr/storage")
    assert storage.is_directory and storage.user == "simplr"


def test_release_layout(host, appliance):
    current = host.file("/opt/simplr/current")
    assert current.is_symlink and current.linked_to.startswith("/opt/simplr/releases/")
    assert host.file(f"{current.linked_to}/venv/bin/gunicorn").exists
    assert "0 migration(s) applied" in host.check_output("simplr migrate")


def test_backups_run_nightly_from_a_timer(host):
    assert host.service("simplr-backup.timer").is_enabled
    assert "02:30:00" in host.check_output("systemctl show simplr-backup.timer -p TimersCalendar")
    assert "simplr-backup all" in host.check_output("systemctl show simplr-backup -p ExecStart")
    assert not host.file("/etc/cron.d/simplr-backup").exists


def test_backup_fails_loudly(host):
    """A failed run exits non-zero, says FAILED in its log and leaves no partial set; the
    metric says the run failed and still holds the last success."""
    run = host.run("/usr/local/sbin/simplr-backup nonsense")
    assert run.rc != 0 and "usage" in run.stdout
    # The attachments directory gone for a moment: the set cannot be made.
    storage = "/var/lib/simplr/storage"
    broken = host.run(f"mv {storage} {storage}.away && /usr/local/sbin/simplr-backup all; "
                      f"rc=$?; mv {storage}.away {storage}; exit $rc")
    assert broken.rc != 0 and "FAILED: simplr-backup all" in broken.stdout, broken.stdout
    assert not host.run("ls -A /var/backups/simplr/sets | grep part").stdout
    prom = host.file("/var/lib/prometheus/node-exporter/simplr_backup.prom").content_string
    assert "simplr_backup_last_run_ok 0" in prom


def test_firewall_only_allows_ssh_and_web(host, appliance):
    rules = host.check_output("nft list chain inet simplr input")
    assert "policy drop" in rules
    assert "tcp dport { 22, 80, 443 } accept" in rules
    assert "limit rate over 10/minute burst 20 packets" in rules  # new SSH connections
    # A stray service listening on all addresses is still unreachable from outside.
    host.run("systemd-run --unit=stray-listener python3 -m http.server 9999 --bind 0.0.0.0")
    try:
        host.run("sleep 1")
        inside = host.run("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9999/")
        assert inside.stdout == "200"
        with pytest.raises(OSError):
            socket.create_connection((appliance.ip, 9999), timeout=3).close()
    finally:
        host.run("systemctl stop stray-listener")


def test_firewall_reload_leaves_other_tables_alone(host):
    """Docker or fail2ban keep their own tables: reloading ours must not flush them."""
    host.run_test("nft add table inet someone_else && nft add chain inet someone_else c")
    try:
        host.run_test("systemctl reload nftables")
        tables = host.check_output("nft list tables")
        assert "inet someone_else" in tables and "inet simplr" in tables
    finally:
        host.run("nft delete table inet someone_else")


def _tls(ip, version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ctx.maximum_version = version
    with socket.create_connection((ip, 443), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="simplr-test") as tls:
            return tls.version()


@pytest.mark.parametrize("version,name", [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                                          (ssl.TLSVersion.TLSv1_3, "TLSv1.3")])
def test_tls_versions_accepted(appliance, version, name):
    assert _tls(appliance.ip, version) == name


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_old_tls_refused(appliance, version):
    with pytest.raises((ssl.SSLError, OSError)):
        _tls(appliance.ip, version)


def test_nginx_tls_protocols_configured(host):
    site = host.file("/etc/nginx/sites-enabled/simplr.conf").content_string
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site


def test_http_redirects_to_https(appliance):
    conn = http.client.HTTPConnection(appliance.ip, 80, timeout=5)
    try:
        conn.request("GET", "/articles?x=1", headers={"Host": "simplr-test"})
        resp = conn.getresponse()
        assert resp.status == 301
        assert resp.getheader("Location") == "https://simplr-test/articles?x=1"
    finally:
        conn.close()


def test_health_through_nginx_with_security_headers(appliance):
    status, headers, body = _https(appliance.ip, "/health")
    assert status == 200, body
    assert b'"status":"ok"' in body.replace(b" ", b"")
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Referrer-Policy" in headers
    assert "nginx/" not in headers.get("Server", "")


def test_static_files_served_by_nginx(host, appliance):
    static = host.file("/opt/simplr/current/app/static")
    if not static.is_directory:
        pytest.skip("this release has no app/static")
    name = sorted(static.listdir())[0]
    status, headers, body = _https(appliance.ip, f"/static/{name}")
    assert status == 200
    assert body == host.file(f"/opt/simplr/current/app/static/{name}").content
    assert "max-age=604800" in headers.get("Cache-Control", "")  # set by nginx, not the app
    assert "Strict-Transport-Security" in headers


def test_metrics_not_public(appliance, host):
    assert _https(appliance.ip, "/metrics")[0] == 403
    local = host.run("curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1/metrics")
    assert local.stdout == "200"


def test_body_limit_matches_app(host, appliance):
    site = host.file("/etc/nginx/sites-enabled/simplr.conf").content_string
    assert "client_max_body_size 26214400;" in site
    # nginx answers from the Content-Length header, before any body is sent.
    conn = http.client.HTTPSConnection(appliance.ip, 443, timeout=15,
                                       context=ssl._create_unverified_context())
    try:
        conn.putrequest("POST", "/webhooks/mailersend", skip_host=True)
        conn.putheader("Host", "simplr-test")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(26214400 + 1))
        conn.endheaders()
        assert conn.getresponse().status == 413
    finally:
        conn.close()


def test_api_is_rate_limited(appliance):
    statuses = [_https(appliance.ip, "/api/articles")[0] for _ in range(45)]
    assert 429 in statuses, statuses


def test_check_mode_previews_an_unchanged_host(appliance):
    """`site.yml --check --diff` lets ops preview a change to production: on a host that
    is up to date it runs through and reports nothing to change."""
    rc, log = appliance.playbook("site.yml", "site-check", "--check", "--diff", check=False)
    assert rc == 0, log[-6000:]
    assert _recap_changed(log) and not any(_recap_changed(log)), log[-6000:]


def test_nginx_change_it_refuses_is_not_left_in_place(appliance, host):
    """A setting nginx -t rejects fails the play, and the files that were there stay."""
    conf = "/etc/nginx/conf.d/simplr-http.conf"
    before = host.file(conf).content_string
    rc, log = appliance.playbook("site.yml", "site-bad-nginx", "-e",
                                 "nginx_rate_limit_api=not-a-rate", check=False)
    assert rc != 0 and "previous files are back" in log, log[-4000:]
    assert host.file(conf).content_string == before
    assert not host.run("ls /etc/nginx/conf.d | grep '~'").stdout  # no backups left behind
    assert host.run("nginx -t").rc == 0
    assert _https(appliance.ip, "/health")[0] == 200


def test_ssh_takes_keys_only(host):
    settings = host.check_output("sshd -T")
    assert "passwordauthentication no" in settings
    assert "kbdinteractiveauthentication no" in settings
    assert "permitrootlogin without-password" in settings


def test_security_updates_install_themselves(host):
    assert host.package("unattended-upgrades").is_installed
    assert 'APT::Periodic::Unattended-Upgrade "1";' in host.check_output("apt-config dump")
    origins = host.check_output("apt-config dump Unattended-Upgrade::Origins-Pattern")
    assert "Debian-Security" in origins  # the security suite only
    assert host.service("apt-daily-upgrade.timer").is_enabled
    dry = host.run("timeout 120 unattended-upgrade --dry-run")
    assert dry.rc == 0, dry.stdout + dry.stderr


def test_slow_query_statistics_are_collected(appliance):
    assert "pg_stat_statements" in appliance.sql("show shared_preload_libraries")
    assert int(appliance.sql("select count(*) from pg_stat_statements")) > 0


def test_log_rotation_configuration_is_valid(host):
    run = host.run("logrotate --debug /etc/logrotate.conf")
    assert run.rc == 0, run.stderr
    assert "/var/log/simplr-backup.log" in run.stderr + run.stdout
    assert "error:" not in run.stderr.lower()
