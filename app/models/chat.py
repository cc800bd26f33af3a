"""Chat memory: conversations and their messages."""
from peewee import CharField, ForeignKeyField, TextField
from playhouse.postgres_ext import BinaryJSONField

from app.models.base import BaseModel, TimestampField, utcnow
from app.models.users import User


class Conversation(BaseModel):
    class Meta:
        table_name = "conversations"

    user = ForeignKeyField(User, backref="conversations", on_delete="CASCADE")
    title = TextField(default="New conversation")
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)


class Message(BaseModel):
    class Meta:
        table_name = "messages"

    conversation = ForeignKeyField(Conversation, backref="messages", on_delete="CASCADE")
    role = CharField()  # user | assistant
    content = TextField()
    citations = BinaryJSONField(default=list)
    created_at = TimestampField(default=utcnow)
