"""The model base class and the field types every model shares."""
import datetime

from peewee import DateTimeField, Model

from app.db import db


def utcnow():
    return datetime.datetime.now(datetime.UTC)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class TimestampField(DateTimeField):
    """A timestamptz column (the schema is created by migrations, not by peewee)."""
    field_type = "TIMESTAMPTZ"
