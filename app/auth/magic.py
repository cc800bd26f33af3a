"""Magic-link tokens: 32 random bytes in the emailed link, only their SHA-256 in the database,
single use, expiring after MAGICLINK_TTL_MINUTES."""
import datetime

from app.auth.sessions import new_token, token_hash
from app.models import MagicLinkToken, User, normalise_email
from app.models.base import utcnow


def user_for_login(address, signup_open):
    """The user who may log in as `address`; created only when sign-up is open, else None
    (also for a disabled account: the login page answers the same either way)."""
    email = normalise_email(address)
    if email is None:
        return None
    user = User.get_or_none(User.email == email)
    if user is None and signup_open:
        user = User.get_or_create_by_email(email)
    return user if user is None or user.disabled_at is None else None


def issue(user, ttl_minutes, ip=None):
    """A new token for `user`: returns (raw token for the link, row id)."""
    token = new_token()
    row = MagicLinkToken.create(user=user, token_hash=token_hash(token), ip=ip,
                                expires_at=utcnow() + datetime.timedelta(minutes=ttl_minutes))
    return token, row.id


def revoke(token_id):
    """Forget a token whose email could not be sent (the retry issues a fresh one)."""
    MagicLinkToken.delete().where(MagicLinkToken.id == token_id).execute()


def redeem(token):
    """The token's user if it is known, unused and unexpired, else None. Marking it used is a
    single conditional UPDATE, so two clicks racing on the same link cannot both win."""
    if not token or len(token) > 200:
        return None
    rows = list(MagicLinkToken.update(used_at=utcnow())
                .where(MagicLinkToken.token_hash == token_hash(token),
                       MagicLinkToken.used_at.is_null(),
                       MagicLinkToken.expires_at > utcnow())
                .returning(MagicLinkToken.user).execute())
    if not rows:
        return None
    user = User.get_by_id(rows[0].user_id)
    User.update(last_login_at=utcnow()).where(User.id == user.id).execute()
    return user
