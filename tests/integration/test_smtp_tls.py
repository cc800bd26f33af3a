"""Mail goes out over real TLS: STARTTLS (587 style) and implicit TLS (465 style), with
login, to an SMTP server on loopback whose certificate the test signs itself."""
import dataclasses
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app import mail
from app.mail.sink import PrintingHandler
from tests.services import free_port


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", d / "key.pem", "-out", d / "cert.pem"], check=True,
                   capture_output=True)
    return d / "cert.pem", d / "key.pem"


def _auth(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"mailer" and auth_data.password == b"app-password"
    return AuthResult(success=ok)


def _server(cert, implicit):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*cert)
    handler, port = PrintingHandler(echo=lambda *a, **k: None), free_port()
    # aiosmtpd does not see that an implicit-TLS socket is encrypted: allow AUTH on it.
    kwargs = {"ssl_context": ctx, "auth_require_tls": False} if implicit else \
        {"tls_context": ctx, "require_starttls": True}
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=_auth,
                            auth_required=True, **kwargs)
    controller.start()
    return controller, handler, port


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_send_over_tls_with_login(app, cert, mode):
    controller, handler, port = _server(cert, implicit=mode == "tls")
    try:
        cfg = dataclasses.replace(app.extensions["simplr.config"], SMTP_PORT=port,
                                  SMTP_SECURITY=mode, SMTP_CA_FILE=str(cert[0]),
                                  SMTP_USER="mailer", SMTP_PASSWORD="app-password")
        with app.test_request_context():
            msg = mail.build(cfg, "reader@example.com", "TLS check", "magic_link",
                             link="http://simplr.test/auth/callback?token=x", minutes=15)
        mail.send(cfg, msg)
        assert handler.messages[0]["Subject"] == "TLS check"
        untrusted = dataclasses.replace(cfg, SMTP_CA_FILE="")
        with pytest.raises(ssl.SSLError):
            mail.send(untrusted, msg)
    finally:
        controller.stop()


def test_security_follows_the_port_when_auto(app):
    cfg = app.extensions["simplr.config"]
    assert mail.security(dataclasses.replace(cfg, SMTP_PORT=587)) == "starttls"
    assert mail.security(dataclasses.replace(cfg, SMTP_PORT=465)) == "tls"
    assert mail.security(dataclasses.replace(cfg, SMTP_PORT=25)) == "none"
