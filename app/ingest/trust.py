"""Who sent a message, on the evidence: DKIM or SPF passing for a domain aligned with From:.

Everything in a delivery is written by the sender except what MailerSend adds after
checking it. So the code accepts exactly this (docs/inbound.md):
- SPF: `spf_check.code` is "+" (MailerSend's check of the SMTP envelope) and the envelope
  sender `sender.email` is in the From: address's organisational domain.
- DKIM: `dkim_check` is true (MailerSend verified a signature) and every `DKIM-Signature`
  header's `d=` is in the From: organisational domain. "Every", because a sender can add
  a bogus signature for the victim's domain beside a valid one for their own.
- `Authentication-Results` headers only from an authserv-id listed in
  INBOUND_TRUSTED_AUTHSERV_IDS (RFC 8601 §5: any other is the sender's to forge):
  dkim=pass header.d, spf=pass smtp.mailfrom or dmarc=pass header.from, aligned.
- `Received-SPF` is ignored: a sender can write one, and which one the receiver added
  cannot be told from the JSON.
Alignment is DMARC's relaxed mode: the same registrable domain by the Public Suffix List.
"""
import email.parser
import email.policy
import functools
import logging
from dataclasses import dataclass

import authres
from publicsuffixlist import PublicSuffixList

from app.models import normalise_email

log = logging.getLogger(__name__)
MAX_HEADER_CHARS = 4000  # an Authentication-Results header is short; longer is hostile


@dataclass(frozen=True)
class Verdict:
    address: str | None  # the normalised From: address
    verified: bool  # DKIM or SPF passed for a domain aligned with it
    allowed: bool  # on INBOUND_ALLOWED_SENDERS
    evidence: str  # what was seen, for the event and the logs


@functools.cache
def _psl():
    return PublicSuffixList()


def org_domain(domain):
    """example.co.uk for news.example.co.uk; the name itself when it has no public suffix."""
    domain = (domain or "").strip().strip(".").lower()
    return _psl().privatesuffix(domain) or domain


def aligned(domain, from_domain):
    return bool(domain) and bool(from_domain) and org_domain(domain) == org_domain(from_domain)


def domain_of(address):
    address = normalise_email(address) if isinstance(address, str) else None
    return address.rpartition("@")[2] if address else ""


def header_values(data, name):
    """Every value of header `name` in `data.headers` (any case; repeated ones are lists),
    or in the raw message's header block when the JSON has no headers."""
    headers = data.get("headers") if isinstance(data.get("headers"), dict) else None
    if headers is None and isinstance(data.get("raw"), str):
        head = data["raw"][:65536].split("\n\n", 1)[0]
        msg = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(head)
        return [str(v) for v in msg.get_all(name) or []]
    values = [v for k, v in (headers or {}).items() if str(k).lower() == name.lower()]
    flat = [x for v in values for x in (v if isinstance(v, list) else [v])]
    return [x for x in flat if isinstance(x, str)]


def dkim_domains(data):
    """The d= tag of each DKIM-Signature header (an empty string when one has none)."""
    domains = []
    for value in header_values(data, "DKIM-Signature"):
        tags = dict(t.strip().partition("=")[::2] for t in value.split(";") if "=" in t)
        domains.append(tags.get("d", "").strip().lower())
    return domains


SPF_RESULTS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}  # RFC 7208 qualifiers


def spf_evidence(data, from_domain):
    spf = data.get("spf_check") if isinstance(data.get("spf_check"), dict) else {}
    envelope = domain_of((data.get("sender") or {}).get("email")
                         if isinstance(data.get("sender"), dict) else None)
    code = spf.get("code") if isinstance(spf.get("code"), str) else None
    if code != "+":
        return None, f"spf {SPF_RESULTS.get(code, 'none')}"
    if not aligned(envelope, from_domain):
        return None, f"spf pass for {envelope or 'no envelope sender'} (not aligned)"
    return f"spf pass for {envelope}", None


def dkim_evidence(data, from_domain):
    if data.get("dkim_check") is not True:
        return None, "dkim none"
    domains = dkim_domains(data)
    if not domains:
        return None, "dkim pass with no DKIM-Signature header to name its domain"
    if not all(aligned(d, from_domain) for d in domains):
        return None, f"dkim pass, signed by {', '.join(sorted(set(domains)))} (not aligned)"
    return f"dkim pass d={domains[0]}", None


def _results(value, trusted):
    try:
        header = authres.AuthenticationResultsHeader.parse_value(value[:MAX_HEADER_CHARS])
    except Exception:  # noqa: BLE001 - the parser raises several types on hostile input
        return []
    return header.results if str(header.authserv_id).lower() in trusted else []


ALIGNED_PROPERTY = {"dkim": "d", "spf": "mailfrom", "dmarc": "from"}


def authres_evidence(data, from_domain, trusted):
    """dkim/spf/dmarc=pass for an aligned domain in a trusted Authentication-Results."""
    values = header_values(data, "Authentication-Results") if trusted else []
    for result in (r for value in values for r in _results(value, trusted)):
        wanted = ALIGNED_PROPERTY.get(result.method)
        for prop in result.properties if result.result == "pass" and wanted else []:
            if prop.name == wanted and aligned(prop.value.rpartition("@")[2], from_domain):
                return f"{result.method} pass for {prop.value} (Authentication-Results)"
    return None


def on_allow_list(address, allowed):
    return bool(address) and (address in allowed or f"@{domain_of(address)}" in allowed)


def from_address(data):
    """The normalised From: address: `from.email`, else the raw message's From: header."""
    frm = data.get("from") if isinstance(data.get("from"), dict) else {}
    address = normalise_email(frm.get("email")) if isinstance(frm.get("email"), str) else None
    if address is None and isinstance(data.get("raw"), str):
        address = normalise_email((header_values({"raw": data["raw"]}, "From") or [""])[0])
    return address


def assess(data, cfg):
    """The Verdict on a delivery's `data`: who its From: is, and whether that is proven."""
    address = from_address(data)
    from_domain = domain_of(address)
    spf, spf_miss = spf_evidence(data, from_domain)
    dkim, dkim_miss = dkim_evidence(data, from_domain)
    proof = dkim or spf or authres_evidence(data, from_domain, cfg.INBOUND_TRUSTED_AUTHSERV_IDS)
    allowed = on_allow_list(address, cfg.INBOUND_ALLOWED_SENDERS)
    evidence = proof or f"{spf_miss}; {dkim_miss}"
    return Verdict(address, bool(proof), allowed, evidence + ("; allow-listed" if allowed else ""))
