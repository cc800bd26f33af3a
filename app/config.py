"""Configuration: read once from the environment (plus an optional env file), validated.

A missing or malformed value stops start-up with a message naming the variable, so a
misconfigured host fails loudly at boot instead of at the first webhook.
"""
import os
from dataclasses import dataclass, field, fields

from dotenv import dotenv_values


class ConfigError(RuntimeError):
    """A configuration variable is missing or invalid."""


def _bool(v):
    if v.lower() in ("1", "true", "yes", "on"):
        return True
    if v.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _positive_int(v):
    n = int(v)
    if n <= 0:
        raise ValueError("expected a positive integer")
    return n


def _share(v):
    x = float(v)
    if not 0 <= x <= 1:  # also refuses nan
        raise ValueError("expected a number from 0 to 1")
    return x


def _provider(v):
    if v not in ("local", "openai", "openrouter"):
        raise ValueError("expected local, openai or openrouter")
    return v


def _fusion(v):
    if v not in ("article", "normalised", "coverage"):
        raise ValueError("expected article, normalised or coverage")
    return v


def _smtp_security(v):
    if v not in ("auto", "starttls", "tls", "none"):
        raise ValueError("expected auto, starttls, tls or none")
    return v


def _sender_policy(v):
    if v not in ("verified", "allowlist", "open"):
        raise ValueError("expected verified, allowlist or open")
    return v


def _csv(v):
    return tuple(item.strip().lower() for item in v.split(",") if item.strip())


def _env(v):
    if v not in ("development", "test", "production"):
        raise ValueError("expected development, test or production")
    return v


def var(default, parse=str, required_in_production=False, secret=False):
    """Declare a variable: its default, its parser, and whether production needs it set."""
    meta = {"parse": parse, "required": required_in_production, "secret": secret}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Config:
    APP_ENV: str = var("development", _env)
    APP_BASE_URL: str = var("http://127.0.0.1:8000", required_in_production=True)
    DATABASE_URL: str = var("postgresql://simplr:simplr@127.0.0.1:5432/simplr",
                            required_in_production=True, secret=True)
    DATABASE_POOL_SIZE: int = var(10, _positive_int)
    REDIS_URL: str = var("redis://127.0.0.1:6379/0", required_in_production=True, secret=True)
    STORAGE_DIR: str = var("var/storage")
    SECRET_KEY: str = var("dev-secret-change-me", required_in_production=True, secret=True)
    MAILERSEND_WEBHOOK_SECRET: str = var("dev-webhook-secret", required_in_production=True,
                                         secret=True)
    MAX_CONTENT_LENGTH: int = var(25 * 1024 * 1024, _positive_int)
    MAX_CHUNKS_PER_ARTICLE: int = var(200, _positive_int)
    CHUNK_TOKENS: int = var(200, _positive_int)
    LLM_PROVIDER: str = var("local", _provider)
    LLM_MODEL: str = var("")
    EMBEDDING_MODEL: str = var("")
    EMBEDDING_DIMENSIONS: int = var(0, int)
    OPENAI_API_KEY: str = var("", secret=True)
    OPENAI_BASE_URL: str = var("")
    OPENROUTER_API_KEY: str = var("", secret=True)
    OPENROUTER_BASE_URL: str = var("https://openrouter.ai/api/v1")
    LLM_TIMEOUT_SECONDS: int = var(60, _positive_int)
    LLM_MAX_RETRIES: int = var(2, int)
    JOB_TIMEOUT_SECONDS: int = var(180, _positive_int)
    MAGICLINK_TTL_MINUTES: int = var(15, _positive_int)
    SESSION_DAYS: int = var(30, _positive_int)
    COOKIE_SECURE: bool = var(False, _bool)
    SIGNUP_OPEN: bool = var(False, _bool)
    LOGIN_RATE_PER_HOUR: int = var(5, _positive_int)
    LOGIN_RATE_PER_IP_PER_HOUR: int = var(30, _positive_int)
    API_RATE_PER_MINUTE: int = var(120, _positive_int)
    API_MAX_BODY_BYTES: int = var(2 * 1024 * 1024, _positive_int)
    SMTP_HOST: str = var("127.0.0.1")
    SMTP_PORT: int = var(8025, _positive_int)
    SMTP_USER: str = var("")
    SMTP_PASSWORD: str = var("", secret=True)
    SMTP_SENDER: str = var("simplr@localhost")
    SMTP_SENDER_NAME: str = var("Simplr")
    SMTP_TIMEOUT_SECONDS: int = var(20, _positive_int)
    SMTP_SECURITY: str = var("auto", _smtp_security)  # auto: 465 → tls, 587 → starttls
    SMTP_CA_FILE: str = var("")  # a private CA for the SMTP server's certificate
    EMAIL_BRAND_NAME: str = var("Simplr")
    EMAIL_LOGO_URL: str = var("")
    INBOUND_ADDRESS: str = var("inbox@simplr.local")
    # Who owns inbound mail (docs/inbound.md): verified = DKIM or SPF aligned
    # with From:, or on the allow-list; allowlist = only the allow-list; open = From: as is.
    INBOUND_SENDER_POLICY: str = var("verified", _sender_policy)
    INBOUND_ALLOWED_SENDERS: tuple = var((), _csv)  # addresses and @domains
    INBOUND_TRUSTED_AUTHSERV_IDS: tuple = var((), _csv)  # whose Authentication-Results count
    INGEST_MAX_ATTEMPTS: int = var(6, _positive_int)  # per event, across retries and sweeps
    # Bounded work per message: a part over a limit is recorded with its reason.
    INGEST_MAX_ATTACHMENTS: int = var(20, _positive_int)
    INGEST_MAX_ATTACHMENT_BYTES: int = var(20 * 1024 * 1024, _positive_int)  # decoded
    INGEST_MAX_PART_CHARS: int = var(2_000_000, _positive_int)
    INGEST_MAX_MESSAGE_CHARS: int = var(5_000_000, _positive_int)
    INGEST_MAX_PDF_PAGES: int = var(200, _positive_int)
    EXTRACT_MEMORY_MB: int = var(512, _positive_int)  # address space of the extractor
    EXTRACT_CPU_SECONDS: int = var(20, _positive_int)  # per part
    # /health fails when one of these queues has no worker with a recent heartbeat (the
    # appliance lists every queue it runs; empty = the web app alone is checked).
    HEALTH_WORKER_QUEUES: tuple = var((), _csv)
    SENTRY_DSN: str = var("")
    LOG_LEVEL: str = var("INFO")
    SEARCH_SEMANTIC_WEIGHT: float = var(1.0, float)
    SEARCH_KEYWORD_BOOST: float = var(0.03, float)
    SEARCH_KEYWORD_MAX: float = var(0.15, float)
    SEARCH_LEXICAL_MAX: float = var(0.25, float)
    SEARCH_CANDIDATES: int = var(20, _positive_int)  # nearest chunks by HNSW
    SEARCH_EF_SEARCH: int = var(100, _positive_int)  # HNSW search width: recall vs speed
    SEARCH_FUSION: str = var("article", _fusion)  # normalised: the seed's formula
    SEARCH_ARTICLE_ALPHA: float = var(0.9, _share)  # lexical share of the article fusion
    SEARCH_PER_ARTICLE: int = var(2, _positive_int)
    SEARCH_BM25_K1: float = var(1.2, float)  # term-frequency saturation
    SEARCH_BM25_B: float = var(0.75, float)  # chunk-length normalisation
    SEARCH_LEXICAL_BUDGET: int = var(50, _positive_int)  # chunk fusions: full-text chunks read
    # The article fusion's full-text side: postings read per query lexeme, best first, and
    # the emails it adds as candidates (at least a page's worth); its vector side in hybrid
    # mode: nearest chunks (20 ranked no better than 10, and cost 0.1 ms at 1M chunks).
    SEARCH_TERM_POSTINGS: int = var(100, _positive_int)
    SEARCH_ARTICLE_LEXICAL: int = var(10, _positive_int)
    SEARCH_ARTICLE_VECTOR: int = var(10, _positive_int)
    SEARCH_MAX_QUERY_CHARS: int = var(1000, _positive_int)
    CHAT_MAX_STREAMS: int = var(2, _positive_int)
    CHAT_HISTORY_EXCHANGES: int = var(6, _positive_int)
    CHAT_CONTEXT_CHUNKS: int = var(5, _positive_int)
    CHAT_MIN_SEMANTIC: float = var(0.3, float)
    # Ask by email (app/chat/by_email.py): a proven sender's mail whose subject starts with
    # the prefix, or that is sent to the address, is answered by mail instead of filed.
    ASK_SUBJECT_PREFIX: str = var("Ask:")
    ASK_ADDRESS: str = var("")
    ASK_RATE_PER_HOUR: int = var(10, _positive_int)

    @property
    def production(self):
        return self.APP_ENV == "production"

    def as_flask(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}


def current():
    """The running app's validated Config (set once by create_app)."""
    from flask import current_app
    return current_app.extensions["simplr.config"]


def load(environ=None, env_file=None, **overrides):
    """Build a validated Config from overrides, the environment and an optional env file."""
    environ = dict(os.environ if environ is None else environ)
    env_file = env_file or environ.get("SIMPLR_ENV_FILE")
    source = {**(dotenv_values(env_file) if env_file else {}), **environ}
    values = {}
    for f in fields(Config):
        raw = overrides.get(f.name, source.get(f.name))
        values[f.name] = _parse(f, raw)
    cfg = Config(**values)
    if cfg.production:
        _check_production(cfg, source, overrides)
    return cfg


def _parse(f, raw):
    if raw is None:
        return f.default
    if not isinstance(raw, str):
        return raw
    try:
        return f.metadata["parse"](raw.strip())
    except ValueError as exc:
        raise ConfigError(f"{f.name}: invalid value {raw!r} ({exc})") from None


def _check_production(cfg, source, overrides):
    missing = [f.name for f in fields(Config) if f.metadata["required"]
               and not (overrides.get(f.name) or source.get(f.name, "").strip())]
    if missing:
        raise ConfigError("missing required setting(s): " + ", ".join(missing))
    if len(cfg.SECRET_KEY) < 32:
        raise ConfigError("SECRET_KEY: must be at least 32 characters in production")
    if len(cfg.MAILERSEND_WEBHOOK_SECRET) < 16:
        raise ConfigError("MAILERSEND_WEBHOOK_SECRET: must be at least 16 characters")
    if not cfg.DATABASE_URL.startswith(("postgresql://", "postgres://")):
        raise ConfigError("DATABASE_URL: expected a postgresql:// URL")
    if not cfg.REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL: expected a redis:// URL")
    if cfg.INBOUND_SENDER_POLICY == "allowlist" and not cfg.INBOUND_ALLOWED_SENDERS:
        raise ConfigError("INBOUND_ALLOWED_SENDERS: required when INBOUND_SENDER_POLICY="
                          "allowlist (or every delivery is held)")
    if cfg.LLM_PROVIDER == "openai" and not cfg.OPENAI_API_KEY:
        raise ConfigError("OPENAI_API_KEY: required when LLM_PROVIDER=openai")
    if cfg.LLM_PROVIDER == "openrouter" and not cfg.OPENROUTER_API_KEY:
        raise ConfigError("OPENROUTER_API_KEY: required when LLM_PROVIDER=openrouter")
