"""app.ratelimit against a real Redis: fixed windows, independent keys, fail-open."""
import time

from app import ratelimit
from app.queue import connection


def test_fixed_window_allows_up_to_the_limit(clean):
    assert [ratelimit.hit("t:a", 2, 60) for _ in range(3)] == [True, True, False]
    assert ratelimit.hit("t:b", 2, 60) is True  # another key has its own budget


def test_window_keys_expire(clean):
    ratelimit.hit("t:exp", 5, 60)
    [key] = connection().keys("ratelimit:t:exp:*")
    assert 0 < connection().ttl(key) <= 61


def test_new_window_starts_a_new_count(clean, monkeypatch):
    start = (int(time.time()) // 60 + 1) * 60  # the next window's first second
    now = [start + 1.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    assert ratelimit.retry_after(60) == 59
    assert ratelimit.hit("t:w", 1, 60) and not ratelimit.hit("t:w", 1, 60)
    now[0] += 60
    assert ratelimit.hit("t:w", 1, 60)


def test_redis_down_fails_open(clean, redis_server):
    redis_server.stop()
    try:
        assert ratelimit.hit("t:down", 1, 60) and ratelimit.hit("t:down", 1, 60)
    finally:
        redis_server.start()
