"""Who a delivery is filed under, by INBOUND_SENDER_POLICY, and whether they are mailed.

- verified (the default): the From: address when DKIM or SPF proves it (app/ingest/trust.py)
  or it is on INBOUND_ALLOWED_SENDERS;
- allowlist: only addresses and @domains on INBOUND_ALLOWED_SENDERS;
- open: the From: address as written (an existing account only, when unproven).
An account is created from mail only for an allow-listed sender, or a proven one while
SIGNUP_OPEN is on. Anything else is held: stored, but no user, article or email.
"""
import logging
from dataclasses import dataclass

from app.ingest.trust import assess
from app.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Owner:
    user: User | None  # None: hold the delivery
    notify: bool = False  # mail a confirmation: only to a proven (or allow-listed) sender
    hold_reason: str | None = None
    evidence: str = ""


def resolve(event, data, cfg):
    """The Owner of stored event `event` whose delivery `data` is the JSON's `data`."""
    if event.owner_id:  # imported for, or released to, this user by a person
        user = User.get_or_none(User.id == event.owner_id)
        return _usable(user, Owner(user, evidence="filed by import or release"))
    verdict = assess(data, cfg)
    if verdict.address is None:
        return Owner(None, hold_reason="no From: address")
    proven = verdict.allowed or (verdict.verified and cfg.INBOUND_SENDER_POLICY != "allowlist")
    if not (proven or cfg.INBOUND_SENDER_POLICY == "open"):
        why = "not on the allow-list" if cfg.INBOUND_SENDER_POLICY == "allowlist" else \
            "unverified sender"
        return Owner(None, hold_reason=f"{why} ({verdict.evidence})", evidence=verdict.evidence)
    user = User.get_or_none(User.email == verdict.address)
    if user is None and (verdict.allowed or (proven and cfg.SIGNUP_OPEN)):
        user = User.get_or_create_by_email(verdict.address, _display_name(data))
    elif user is None:
        return Owner(None, hold_reason=f"no account for {verdict.address} and sign-up is "
                     f"closed ({verdict.evidence})", evidence=verdict.evidence)
    return _usable(user, Owner(user, proven, evidence=verdict.evidence))


def _usable(user, owner):
    if user is None:
        return Owner(None, hold_reason="the owner's account no longer exists")
    if user.disabled_at is not None:
        return Owner(None, hold_reason=f"account {user.email} is disabled")
    return owner


def _display_name(data):
    frm = data.get("from")
    return frm.get("name") if isinstance(frm, dict) and isinstance(frm.get("name"), str) else None
