"""Auth building blocks that need no services: tokens, client IPs, article validation."""
import hashlib

from flask import Flask

from app import ratelimit
from app.articles.service import validate
from app.auth.sessions import new_token, token_hash


def test_tokens_are_32_random_url_safe_bytes():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) >= 43 and set(t) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for t in tokens)


def test_only_the_sha256_is_stored():
    assert token_hash("abc") == hashlib.sha256(b"abc").hexdigest()


def client_ip(remote, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with Flask(__name__).test_request_context(environ_base={"REMOTE_ADDR": remote},
                                              headers=headers):
        return ratelimit.client_ip()


def test_client_ip_trusts_forwarded_for_only_from_the_local_proxy():
    assert client_ip("203.0.113.5") == "203.0.113.5"
    assert client_ip("203.0.113.5", "10.9.9.9") == "203.0.113.5"  # a spoofed header
    assert client_ip("127.0.0.1", "6.6.6.6, 198.51.100.2") == "198.51.100.2"
    assert client_ip("127.0.0.1", "garbage") == "127.0.0.1"


def test_validate_names_every_bad_field():
    values, errors = validate({"title": "  Hi  ", "summary": 3, "category": "nope",
                               "text": "x" * 1_000_001})
    assert values == {"title": "Hi"}
    assert set(errors) == {"summary", "category", "text"}
    assert validate({}, required=())[1] == {}
    assert set(validate({})[1]) == {"title", "summary", "category", "text"}
