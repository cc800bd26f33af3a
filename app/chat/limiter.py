"""At most CHAT_MAX_STREAMS concurrent answer streams per user, counted in Redis.

The TTL is a safety net: if a process dies mid-stream its slot frees itself instead of
locking the user out for good.
"""
import logging

import redis

from app.queue import connection

log = logging.getLogger(__name__)


def _key(user_id):
    return f"simplr:chat:streams:{user_id}"


def acquire(user_id, limit, ttl):
    """Take a slot; False when the user already has `limit` streams open."""
    try:
        pipe = connection().pipeline()
        count, _ = pipe.incr(_key(user_id)).expire(_key(user_id), ttl).execute()
        if count > limit:
            connection().decr(_key(user_id))
            return False
    except redis.RedisError as exc:  # chat still works without Redis; only the cap is lost
        log.warning("stream limiter unavailable: %s", exc)
    return True


def release(user_id):
    try:
        if connection().decr(_key(user_id)) < 0:
            connection().delete(_key(user_id))
    except redis.RedisError as exc:
        log.warning("stream limiter unavailable: %s", exc)
