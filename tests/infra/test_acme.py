"""The site's certificate comes from a real ACME server: pebble, which
tests/infra/harness/acme.sh runs on the controller and which validates HTTP-01 for real
against the host's port 80. certbot obtained it during site.yml; here it is also renewed."""
import http.client
import os
import socket
import ssl
import time

import pytest

from tests.infra.conftest import RUN

pytestmark = [pytest.mark.infra, pytest.mark.timeout(600)]

HOST_IP = os.environ.get("SIMPLR_HOST_IP", "10.213.37.1")  # pebble's side of the veth
NAME = "simplr-test"
LIVE = f"/etc/letsencrypt/live/{NAME}"
CA_BUNDLE = "/etc/letsencrypt/simplr-acme-ca.pem"


def _pebble_management(path):
    """GET from pebble's management API, whose HTTPS certificate is the harness CA's."""
    ctx = ssl.create_default_context(cafile=str(RUN / "tls" / "ca.pem"))
    conn = http.client.HTTPSConnection(HOST_IP, 15000, context=ctx, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read().decode()
        assert resp.status == 200, (path, resp.status, body)
        return body
    finally:
        conn.close()


@pytest.fixture(scope="module")
def acme_root(appliance):
    """pebble's issuing root, PEM (made anew each time pebble starts)."""
    return _pebble_management("/roots/0")


def _served_cert(ip, root_pem):
    """The certificate nginx serves for the site's name, verified against root_pem only:
    the chain nginx sends must lead to it, and the name must match."""
    ctx = ssl.create_default_context(cadata=root_pem)
    with socket.create_connection((ip, 443), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=NAME) as tls:
            return tls.getpeercert()


def _serial_on_host(host):
    out = host.check_output(f"openssl x509 -noout -serial -in {LIVE}/cert.pem")
    return out.strip().split("=", 1)[1]


def _wait_for_served_serial(ip, root_pem, serial, seconds=15):
    served = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        served = _served_cert(ip, root_pem)["serialNumber"]
        if served == serial:
            break
        time.sleep(0.5)
    return served


def test_serves_the_acme_certificate(host, appliance, acme_root):
    """What nginx serves is certbot's certificate: a client that trusts only pebble's root
    verifies the chain and the host name."""
    cert = _served_cert(appliance.ip, acme_root)
    assert ("DNS", NAME) in cert["subjectAltName"]
    assert cert["serialNumber"] == _serial_on_host(host)
    site = host.file("/etc/nginx/sites-enabled/simplr.conf").content_string
    assert f"ssl_certificate {LIVE}/fullchain.pem;" in site


def test_renewed_by_certbot_timer(host):
    timer = host.service("certbot.timer")
    assert timer.is_enabled and timer.is_running
    renewal = host.file(f"/etc/letsencrypt/renewal/{NAME}.conf").content_string
    assert f"server = https://{HOST_IP}:14000/dir" in renewal
    assert "authenticator = webroot" in renewal
    # The timer's certbot.service trusts the ACME server's CA, as the first request did.
    env = host.check_output("systemctl show certbot.service -p Environment --value")
    assert f"REQUESTS_CA_BUNDLE={CA_BUNDLE}" in env
    hook = host.file("/etc/letsencrypt/renewal-hooks/deploy/simplr-reload-nginx")
    assert hook.mode == 0o755 and "systemctl reload nginx" in hook.content_string


def test_renewal_is_served_without_a_manual_reload(host, appliance, acme_root):
    """A forced renewal gets a new certificate from pebble, and the deploy hook's reload
    makes nginx serve it: nobody reloads nginx here."""
    before = _served_cert(appliance.ip, acme_root)["serialNumber"]
    # certbot.service's own environment (its drop-in's CA bundle); no random sleep, which
    # certbot adds when it runs without a terminal.
    env = host.check_output("systemctl show certbot.service -p Environment --value")
    renew = host.run(f"env {env} certbot renew --force-renewal --no-random-sleep-on-renew")
    assert renew.rc == 0, renew.stdout + renew.stderr
    renewed = _serial_on_host(host)
    assert renewed != before
    assert _wait_for_served_serial(appliance.ip, acme_root, renewed) == renewed
