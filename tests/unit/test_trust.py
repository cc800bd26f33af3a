"""Sender trust from the evidence in a delivery: what proves a From: address, what does not."""
import dataclasses

import pytest

from app.ingest.trust import aligned, assess, dkim_domains, org_domain


@dataclasses.dataclass
class Cfg:
    INBOUND_TRUSTED_AUTHSERV_IDS: tuple = ()
    INBOUND_ALLOWED_SENDERS: tuple = ()


def data(frm="ann@news.example.co.uk", envelope=None, spf=None, dkim=None, headers=None, **kw):
    return {"from": {"email": frm}, "sender": {"email": envelope} if envelope else None,
            "spf_check": {"code": spf} if spf else None, "dkim_check": dkim,
            "headers": headers, **kw}


def test_organisational_domains_follow_the_public_suffix_list():
    assert org_domain("mail.news.example.co.uk") == "example.co.uk"
    assert org_domain("a.b.github.io") == "b.github.io"
    assert aligned("bounce.example.com", "example.com")
    assert not aligned("example.com.evil.net", "example.com")
    assert not aligned("b.github.io", "c.github.io")  # a public suffix is not one owner
    assert not aligned("", "example.com")


@pytest.mark.parametrize("delivery, proven", [
    # SPF passes for an envelope sender in the From: organisational domain (SPEC's example).
    (data(envelope="bounces@mail.example.co.uk", spf="+", dkim=False), True),
    # The attack: SPF fails, no DKIM, envelope at another domain.
    (data(envelope="x@attacker.net", spf="-", dkim=False), False),
    # SPF passes, but for the attacker's own domain.
    (data(envelope="x@attacker.net", spf="+"), False),
    (data(envelope="x@example.co.uk", spf="~"), False),  # softfail is not a pass
    (data(spf="+"), False),  # a pass for no envelope sender proves nothing
    # DKIM verified, and the only signature is the From: domain's.
    (data(dkim=True, headers={"DKIM-Signature": "v=1; a=rsa-sha256; d=example.co.uk; s=k1"}),
     True),
    # DKIM verified, but signed by the attacker's domain.
    (data(dkim=True, headers={"dkim-signature": "v=1; d=attacker.net; s=k1"}), False),
    # A bogus signature for the victim beside a valid one for the attacker's domain.
    (data(dkim=True, headers={"DKIM-Signature": ["v=1; d=example.co.uk; s=x",
                                                 "v=1; d=attacker.net; s=y"]}), False),
    (data(dkim=True), False),  # no header says which domain signed
    (data(dkim=False, headers={"DKIM-Signature": "v=1; d=example.co.uk"}), False),
    (data(dkim="true", headers={"DKIM-Signature": "v=1; d=example.co.uk"}), False),
    # Received-SPF is sender-writable: ignored.
    (data(headers={"Received-SPF": "pass (example.co.uk: domain of x@example.co.uk)"}), False),
])
def test_what_proves_a_sender(delivery, proven):
    verdict = assess(delivery, Cfg())
    assert verdict.address == "ann@news.example.co.uk"
    assert verdict.verified is proven, verdict.evidence


AR = ("mx.mailersend.net; dkim=pass header.d=example.co.uk header.s=k1; "
      "spf=fail smtp.mailfrom=attacker.net")


def test_authentication_results_count_only_from_a_trusted_authserv_id():
    delivery = data(headers={"Authentication-Results": AR})
    assert not assess(delivery, Cfg()).verified
    trusted = Cfg(INBOUND_TRUSTED_AUTHSERV_IDS=("mx.mailersend.net",))
    assert assess(delivery, trusted).verified
    forged = data(headers={"Authentication-Results": AR.replace("mx.mailersend.net", "evil")})
    assert not assess(forged, trusted).verified
    hostile = data(headers={"Authentication-Results": ["mx.mailersend.net; ;;=", "x" * 100000]})
    assert not assess(hostile, trusted).verified


def test_dmarc_pass_in_trusted_results_proves_the_header_from():
    ar = "mx.mailersend.net; dmarc=pass header.from=example.co.uk"
    cfg = Cfg(INBOUND_TRUSTED_AUTHSERV_IDS=("mx.mailersend.net",))
    assert assess(data(headers={"Authentication-Results": ar}), cfg).verified
    ar = "mx.mailersend.net; dmarc=fail header.from=example.co.uk"
    assert not assess(data(headers={"Authentication-Results": ar}), cfg).verified


def test_allow_list_by_address_and_domain():
    assert assess(data(), Cfg(INBOUND_ALLOWED_SENDERS=("ann@news.example.co.uk",))).allowed
    assert assess(data(), Cfg(INBOUND_ALLOWED_SENDERS=("@news.example.co.uk",))).allowed
    assert not assess(data(), Cfg(INBOUND_ALLOWED_SENDERS=("@example.co.uk",))).allowed


def test_from_comes_from_the_raw_message_when_the_json_has_none():
    raw = ("From: Raw <raw@example.net>\r\nDKIM-Signature: v=1; d=example.net; s=s\r\n"
           "Subject: x\r\n\r\nbody")
    verdict = assess({"from": None, "raw": raw, "dkim_check": True}, Cfg())
    assert verdict.address == "raw@example.net" and verdict.verified


@pytest.mark.parametrize("hostile", [
    {}, {"from": "ann@example.com"}, {"from": {"email": 5}}, {"headers": ["x"]},
    {"from": {"email": "a@b.co"}, "headers": {"DKIM-Signature": [None, 3, {"d": 1}]},
     "dkim_check": True, "sender": "x", "spf_check": ["+"]},
    {"from": {"email": "a@b.co"}, "spf_check": {"code": ["+"]}, "sender": {"email": ["a@b.co"]}},
    {"from": {"email": "a\x00@b.co"}, "raw": 7},
])
def test_odd_shapes_prove_nothing_and_never_raise(hostile):
    assert not assess(hostile, Cfg()).verified


def test_dkim_domains_reads_every_signature():
    headers = {"DKIM-Signature": ["v=1; d=A.example; s=1", "v=1; s=2"]}
    assert dkim_domains({"headers": headers}) == ["a.example", ""]


def test_addresses_with_nul_or_lone_surrogates_are_no_addresses():
    from app.models import normalise_email
    assert normalise_email("Ann <Ann@Example.com>") == "ann@example.com"
    assert normalise_email("a\x00@example.com") is None
    assert normalise_email("a\ud800@example.com") is None
    assert normalise_email("zoë@example.com") == "zoë@example.com"
