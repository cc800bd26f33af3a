"""Configuration is validated once, and production refuses to start half-configured."""
import pytest

from app.config import ConfigError, load

PROD = {"APP_ENV": "production", "APP_BASE_URL": "https://kb.example.com",
        "DATABASE_URL": "postgresql://u:p@127.0.0.1/simplr", "REDIS_URL": "redis://127.0.0.1/0",
        "SECRET_KEY": "s" * 40, "MAILERSEND_WEBHOOK_SECRET": "w" * 32}


def test_local_default_needs_nothing():
    cfg = load(environ={})
    assert cfg.LLM_PROVIDER == "local" and not cfg.production


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL",
                                  "MAILERSEND_WEBHOOK_SECRET", "APP_BASE_URL"])
def test_production_names_the_missing_variable(name):
    env = {k: v for k, v in PROD.items() if k != name}
    with pytest.raises(ConfigError, match=name):
        load(environ=env)


@pytest.mark.parametrize("name,value", [("SESSION_DAYS", "thirty"), ("MAGICLINK_TTL_MINUTES", "-5"),
                                        ("COOKIE_SECURE", "maybe"), ("LLM_PROVIDER", "skynet"),
                                        ("MAX_CONTENT_LENGTH", "1e9")])
def test_malformed_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load(environ={**PROD, name: value})


def test_production_rejects_weak_secrets_and_wrong_schemes():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load(environ={**PROD, "SECRET_KEY": "short"})
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load(environ={**PROD, "DATABASE_URL": "mysql://x"})
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        load(environ={**PROD, "LLM_PROVIDER": "openai"})


def test_env_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / "simplr.env"
    env_file.write_text("SESSION_DAYS=7\nSMTP_PORT=2525\n")
    cfg = load(environ={"SMTP_PORT": "587"}, env_file=str(env_file))
    assert cfg.SESSION_DAYS == 7 and cfg.SMTP_PORT == 587 and cfg.COOKIE_SECURE is False


def test_app_refuses_to_start_in_production_without_secrets():
    from app import create_app
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**PROD, "SECRET_KEY": ""})


@pytest.mark.parametrize("name,value", [
    ("INBOUND_SENDER_POLICY", "trust-everyone"), ("INBOUND_SENDER_POLICY", ""),
    ("INGEST_MAX_ATTEMPTS", "0"), ("INGEST_MAX_ATTACHMENTS", "-1"),
    ("INGEST_MAX_PART_CHARS", "2M"), ("EXTRACT_MEMORY_MB", "0"),
    ("EXTRACT_CPU_SECONDS", "²"), ("SEARCH_FUSION", "magic"), ("SEARCH_ARTICLE_ALPHA", "x"),
    ("ASK_RATE_PER_HOUR", "0"), ("ASK_RATE_PER_HOUR", "ten"), ("SEARCH_TERM_POSTINGS", "0"),
    ("SEARCH_TERM_POSTINGS", "1e3"), ("SEARCH_ARTICLE_LEXICAL", "-5"),
    ("SEARCH_ARTICLE_VECTOR", "0"), ("SEARCH_ARTICLE_VECTOR", "10; DROP"),
    ("SEARCH_ARTICLE_ALPHA", "1.5"), ("SEARCH_ARTICLE_ALPHA", "-0.1"),
    ("SEARCH_ARTICLE_ALPHA", "nan")])
def test_malformed_inbound_and_limit_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load(environ={**PROD, name: value})


def test_sender_policy_defaults_to_verified_and_allow_list_is_parsed():
    cfg = load(environ={"INBOUND_ALLOWED_SENDERS": " Ann@Example.com, @Partner.org ,,"})
    assert cfg.INBOUND_SENDER_POLICY == "verified"
    assert cfg.INBOUND_ALLOWED_SENDERS == ("ann@example.com", "@partner.org")


def test_production_refuses_an_allowlist_policy_with_no_list():
    with pytest.raises(ConfigError, match="INBOUND_ALLOWED_SENDERS"):
        load(environ={**PROD, "INBOUND_SENDER_POLICY": "allowlist"})
    cfg = load(environ={**PROD, "INBOUND_SENDER_POLICY": "allowlist",
                        "INBOUND_ALLOWED_SENDERS": "@example.com"})
    assert cfg.INBOUND_ALLOWED_SENDERS == ("@example.com",)
