"""Logging: readable lines in development, one JSON object per line in production."""
import json
import logging
import sys

_STD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        out = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
               "logger": record.name, "msg": record.getMessage()}
        out.update({k: v for k, v in vars(record).items() if k not in _STD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def init_logging(config):
    handler = logging.StreamHandler(sys.stderr)
    if config.production:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                                               "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.LOG_LEVEL.upper())
    logging.getLogger("peewee").setLevel(logging.INFO)


def init_sentry(config):
    """Report errors to Sentry when SENTRY_DSN is set and sentry-sdk is installed."""
    if not config.SENTRY_DSN:
        return
    try:
        import sentry_sdk
    except ImportError:
        logging.getLogger(__name__).warning("SENTRY_DSN set but sentry-sdk is not installed")
        return
    sentry_sdk.init(dsn=config.SENTRY_DSN, environment=config.APP_ENV)
