"""The model base class and the field types every model shares."""
import datetime

from peewee import CharField, DateTimeField, Model, TextField
from playhouse.postgres_ext import BinaryJSONField

from app.db import db


def utcnow():
    return datetime.datetime.now(datetime.UTC)


def pg_safe(value):
    """`value` with what PostgreSQL text and jsonb refuse made safe: NUL dropped (text
    cannot hold it, jsonb rejects \\u0000) and lone surrogates (JSON can carry "\\ud800",
    UTF-8 cannot) replaced. Applied by the fields below, so no writer can forget it."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
        return value if value.isascii() else value.encode("utf-8", "replace").decode()
    if isinstance(value, dict):
        return {pg_safe(str(k)): pg_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [pg_safe(v) for v in value]
    return value


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class TimestampField(DateTimeField):
    """A timestamptz column (the schema is created by migrations, not by peewee)."""
    field_type = "TIMESTAMPTZ"


class SafeTextField(TextField):
    def db_value(self, value):
        return super().db_value(pg_safe(value))


class SafeCharField(CharField):
    def db_value(self, value):
        return super().db_value(pg_safe(value))


class SafeJSONField(BinaryJSONField):
    def db_value(self, value):
        return super().db_value(pg_safe(value))
