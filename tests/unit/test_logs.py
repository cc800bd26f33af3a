"""Production logs are one JSON object per line, with the extra fields a call attached."""
import json
import logging

from app.logs import JsonFormatter


def test_json_formatter_keeps_message_level_and_extras():
    record = logging.makeLogRecord({"name": "app.webhooks", "levelno": logging.WARNING,
                                    "levelname": "WARNING", "msg": "webhook %s: %s",
                                    "args": (401, "bad_signature"), "reason": "bad_signature"})
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "webhook 401: bad_signature"
    assert line["level"] == "WARNING" and line["reason"] == "bad_signature"
    assert line["logger"] == "app.webhooks" and "ts" in line
