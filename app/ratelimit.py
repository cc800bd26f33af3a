"""Fixed-window rate limits in Redis, shared by every route that needs one.

`hit(key, limit, window_seconds)` counts one attempt and says whether it is allowed. When
Redis is down we fail open: refusing every login because the limiter is unavailable would
turn a Redis outage into a full outage, and the limits are a brake, not an access control.
"""
import ipaddress
import logging
import time

import redis
from flask import request

from app.queue import connection

log = logging.getLogger(__name__)
PREFIX = "ratelimit:"


def _window(window_seconds, now=None):
    start = int((now if now is not None else time.time()) // window_seconds) * window_seconds
    return start, start + window_seconds


def hit(key, limit, window_seconds):
    """Count one attempt for `key`; True while the window holds at most `limit` attempts."""
    start, end = _window(window_seconds)
    name = f"{PREFIX}{key}:{start}"
    try:
        pipe = connection().pipeline()
        pipe.incr(name)
        pipe.expireat(name, end + 1)
        count = pipe.execute()[0]
    except redis.RedisError as exc:
        log.warning("rate limiter unavailable, allowing %s: %s", key, exc)
        return True
    return count <= limit


def retry_after(window_seconds):
    """Seconds until the current window ends (for the Retry-After header)."""
    return max(1, int(_window(window_seconds)[1] - time.time()))


def client_ip():
    """The client's address. Behind the local nginx (a loopback peer) it is the last entry
    nginx appended to X-Forwarded-For; a remote peer's own header is never trusted."""
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _is_loopback(peer):
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return peer or "unknown"


def _is_loopback(addr):
    try:
        return ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return False
