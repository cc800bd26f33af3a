"""Controller-side helpers shared by the infra tests."""
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import subprocess
import time


def https(ip, path, method="GET", body=None, headers=None, server_name="simplr-test",
          timeout=15):
    """One HTTPS request to the host (self-signed certificate): (status, headers, body)."""
    ctx = ssl._create_unverified_context()
    conn = http.client.HTTPSConnection(ip, 443, context=ctx, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": server_name, **(headers or {})})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def connects(ip, port, timeout=3):
    """Whether a TCP connection to ip:port is accepted within `timeout` seconds."""
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True
    except OSError:
        return False

def wait(probe, timeout=90, interval=1.0):
    """probe()'s first truthy value within `timeout` seconds, else its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def post_webhook(appliance, message_id, subject, text, sender="ops@example.com"):
    """A MailerSend inbound delivery, signed with the host's webhook secret, through nginx."""
    body = json.dumps({
        "type": "inbound.message", "inbound_id": f"in-{message_id}",
        "data": {"id": message_id, "from": {"email": sender, "name": "Ops"},
                 "subject": subject, "html": None, "attachments": [], "text": text}}).encode()
    secret = appliance.env_value("MAILERSEND_WEBHOOK_SECRET").encode()
    signature = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return https(appliance.ip, "/webhooks/mailersend", "POST", body=body,
                 headers={"Content-Type": "application/json", "Signature": signature},
                 server_name=getattr(appliance, "server_name", "simplr-test"))


def ssh(ssh_config, host, command, check=True):
    """`command` on a test host; an AssertionError with its output if it fails and `check`."""
    proc = subprocess.run(["ssh", "-F", str(ssh_config), host, command], capture_output=True,
                          text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{host}: {command!r} failed ({proc.returncode}): "
                             f"{proc.stdout}{proc.stderr}")
    return proc
