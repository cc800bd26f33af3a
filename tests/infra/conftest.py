"""Infra tests: boot a fresh systemd host (systemd-nspawn), provision it with
playbooks/site.yml (twice: the second run must change nothing) and check it with
testinfra. The host is torn down at the end of the session, whatever happens.

Needs root and a machine that can run systemd-nspawn. Without them the host tests are
skipped locally with the reason, but fail under CI=true.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.infra.helpers import ssh

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HARNESS = HERE / "harness"
RUN = Path(os.environ.get("SIMPLR_RUN", "/tmp/simplr-infra"))
MACHINE = os.environ.get("SIMPLR_MACHINE", "simplr-test")
CT_IP = os.environ.get("SIMPLR_CT_IP", "10.213.37.2")
SSH_CONFIG = RUN / "ssh_config"
BIN = Path(sys.executable).parent
TIMINGS = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "infra: Ansible against a booted systemd host (nspawn)")


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("infra timings (seconds)")
        for step, secs in TIMINGS.items():
            terminalreporter.write_line(f"{step:<28} {secs:7.1f}")


def _cannot(reason):
    """Skip locally; under CI the infra tests must run, so fail instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"infra tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _sh(cmd, log, timeout=1800, env=None, check=True):
    """Run a command, keep its output in RUN/logs/<log>.log, time it."""
    (RUN / "logs").mkdir(parents=True, exist_ok=True)
    path = RUN / "logs" / f"{log}.log"
    start = time.monotonic()
    with open(path, "w") as out:
        proc = subprocess.run(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                              env={**os.environ, **(env or {})})
    TIMINGS[log] = time.monotonic() - start
    text = path.read_text(errors="replace")
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed (rc={proc.returncode}); "
                             f"log {path}:\n{text[-6000:]}")
    return proc.returncode, text


class Appliance:
    """The booted, provisioned test host and the controller-side helpers to drive it."""

    ip = CT_IP
    ssh_config = SSH_CONFIG

    def __init__(self, source):
        self.source = source  # the snapshot of the repo that site.yml deployed

    def playbook(self, name, log, *extra, check=True):
        cmd = [str(BIN / "ansible-playbook"), "-i", "inventory/test", f"playbooks/{name}",
               "-e", f"app_source_dir={self.source}", *extra]
        env = {"SIMPLR_SSH_CONFIG": str(SSH_CONFIG), "ANSIBLE_FORCE_COLOR": "0",
               "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"),
               "ANSIBLE_CALLBACKS_ENABLED": "task_timer",
               "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
        return _sh(cmd, log, env=env, check=check)

    def ssh(self, command, check=True):
        return ssh(SSH_CONFIG, MACHINE, command, check)

    def sql(self, query):
        out = self.ssh(f"cd / && runuser -u postgres -- psql -d simplr -XtAc {json.dumps(query)}")
        return out.stdout.strip()

    def env_value(self, name):
        return self.ssh(f"sed -n 's/^{name}=//p' /etc/simplr/simplr.env").stdout.strip()

    def current_release(self):
        return Path(self.ssh("readlink /opt/simplr/current").stdout.strip()).name

    def rebuild(self):
        """A disaster: the host is replaced by a fresh one (same name and address) and
        provisioned with site.yml; the network and the offsite container stay."""
        keep = {"SIMPLR_KEEP_NETWORK": "1"}
        _sh(["bash", str(HARNESS / "down.sh")], "drill-down", env=keep, check=False)
        _sh(["bash", str(HARNESS / "up.sh")], "drill-up", env=keep, timeout=300)
        self.playbook("site.yml", "drill-site")

    def snapshot(self, name, change):
        """A copy of the deployed source with one change applied: a new release."""
        dest = Path(tempfile.mkdtemp(prefix=f"simplr-{name}-"))
        shutil.copytree(self.source, dest, dirs_exist_ok=True)
        change(dest)
        return dest


def _recap_changed(text):
    found = re.findall(r"changed=(\d+)", text.split("PLAY RECAP")[-1])
    return [int(n) for n in found]


def provision_twice(hosts, log):
    """site.yml on fresh hosts, then again: the second run must change nothing."""
    hosts.playbook("site.yml", f"{log}-1st-run")
    _, second = hosts.playbook("site.yml", f"{log}-2nd-run")
    assert _recap_changed(second) and not any(_recap_changed(second)), \
        f"second site.yml run changed something:\n{second[-6000:]}"


def _snapshot_source():
    """Freeze the release contents (the tree may change while the tests run)."""
    dest = Path(tempfile.mkdtemp(prefix="simplr-src-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    shutil.copytree(REPO / "app", dest / "app", ignore=ignore)
    shutil.copy2(REPO / "requirements.txt", dest / "requirements.txt")
    return dest


@pytest.fixture(scope="session")
def appliance():
    """Boots and provisions the host once per session; always torn down afterwards."""
    if os.geteuid() != 0:
        _cannot("needs root to boot a systemd-nspawn host")
    if not shutil.which("apt-get") or not Path("/proc/self/ns/net").exists():
        _cannot("needs a Debian/Ubuntu machine with network namespaces")
    if not (REPO / "app").is_dir():
        _cannot("no app/ to deploy yet")
    shutil.rmtree(RUN / "logs", ignore_errors=True)
    try:
        _sh(["bash", str(HARNESS / "prepare.sh")], "prepare", timeout=3600)
    except AssertionError as exc:
        _cannot(f"could not prepare the test host image: {str(exc)[-800:]}")
    if not shutil.which("systemd-nspawn"):
        _cannot("systemd-nspawn is not available")
    _sh(["bash", str(HARNESS / "down.sh")], "down-stale", check=False)
    source = _snapshot_source()
    try:
        try:
            _sh(["bash", str(HARNESS / "up.sh")], "up", timeout=300)
        except AssertionError as exc:
            _cannot(f"this machine cannot boot a systemd-nspawn container: {str(exc)[-800:]}")
        host = Appliance(source)
        provision_twice(host, "site")
        yield host
    finally:
        _sh(["bash", str(HARNESS / "down.sh")], "down", check=False)
        shutil.rmtree(source, ignore_errors=True)


@pytest.fixture(scope="session")
def host(appliance):
    """testinfra host over SSH (overrides the plugin's --hosts fixture)."""
    import testinfra
    return testinfra.get_host(f"ssh://{MACHINE}", ssh_config=str(appliance.ssh_config))
