"""Users and their login state: magic-link tokens and sessions (only SHA-256 hashes stored)."""
from email.utils import parseaddr

from peewee import ForeignKeyField

from app.models.base import BaseModel, SafeCharField, SafeTextField, TimestampField, utcnow


def normalise_email(value):
    """'Ann <Ann@Example.COM>' -> 'ann@example.com'; None when it is not an address."""
    _, addr = parseaddr(value or "")
    addr = addr.strip().lower()
    local, _, domain = addr.partition("@")
    if not local or "." not in domain or " " in addr or len(addr) > 254:
        return None
    if not addr.isprintable() or not addr.isascii() and _unencodable(addr):
        return None  # NUL, control characters, lone surrogates: not an address anyone has
    return addr


def _unencodable(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


MAX_DISPLAY_NAME = 100


class User(BaseModel):
    class Meta:
        table_name = "users"

    email = SafeCharField(unique=True)
    display_name = SafeTextField(null=True)
    created_at = TimestampField(default=utcnow)
    last_login_at = TimestampField(null=True)
    disabled_at = TimestampField(null=True)  # set by `simplr users disable`: no login, mail held

    @classmethod
    def get_or_create_by_email(cls, address, display_name=None):
        """The user for a normalised address, created on first sight."""
        email = normalise_email(address)
        if email is None:
            raise ValueError(f"not an email address: {address!r}")
        user = cls.get_or_none(cls.email == email)
        if user is None:
            name = " ".join(str(display_name or "").split())[:MAX_DISPLAY_NAME] or None
            cls.insert(email=email, display_name=name,
                       created_at=utcnow()).on_conflict_ignore().execute()
            user = cls.get(cls.email == email)
        return user


class MagicLinkToken(BaseModel):
    class Meta:
        table_name = "magic_link_tokens"

    user = ForeignKeyField(User, backref="magic_links", on_delete="CASCADE")
    token_hash = SafeCharField(unique=True)
    created_at = TimestampField(default=utcnow)
    expires_at = TimestampField()
    used_at = TimestampField(null=True)
    ip = SafeTextField(null=True)


class Session(BaseModel):
    class Meta:
        table_name = "sessions"

    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    token_hash = SafeCharField(unique=True)
    created_at = TimestampField(default=utcnow)
    expires_at = TimestampField()
    last_seen_at = TimestampField(default=utcnow)
    user_agent = SafeTextField(null=True)
