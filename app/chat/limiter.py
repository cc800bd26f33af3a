"""At most CHAT_MAX_STREAMS concurrent answer streams per user, counted in Redis.

The TTL is a safety net: if a process dies mid-stream its slot frees itself instead of
locking the user out for good. Only a granted slot sets it, so a refused try cannot keep
a leaked count alive.
"""
import logging

import redis

from app.queue import connection

log = logging.getLogger(__name__)
# Atomic, so a crash between the steps can neither leak a slot nor leave a key without TTL.
_ACQUIRE = """
local n = redis.call('INCR', KEYS[1])
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


def _key(user_id):
    return f"simplr:chat:streams:{user_id}"


def acquire(user_id, limit, ttl):
    """Take a slot; False when the user already has `limit` streams open."""
    try:
        return bool(connection().eval(_ACQUIRE, 1, _key(user_id), limit, ttl))
    except redis.RedisError as exc:  # chat still works without Redis; only the cap is lost
        log.warning("stream limiter unavailable: %s", exc)
    return True


def release(user_id):
    try:
        if connection().decr(_key(user_id)) < 0:
            connection().delete(_key(user_id))
    except redis.RedisError as exc:
        log.warning("stream limiter unavailable: %s", exc)
