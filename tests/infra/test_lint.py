"""The Ansible code passes ansible-lint (production profile) and yamllint."""
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*cmd):
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]


def test_ansible_lint_production_profile():
    _run(str(BIN / "ansible-lint"), "--profile", "production", "--offline")


def test_yamllint():
    _run(str(BIN / "yamllint"), "--strict", ".")


def test_playbooks_syntax():
    for playbook in ("site", "deploy", "rollback", "backup", "restore", "failover"):
        _run(str(BIN / "ansible-playbook"), "--syntax-check", "-i", "inventory/test",
             f"playbooks/{playbook}.yml")
