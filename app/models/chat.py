"""Chat memory: conversations and their messages."""
from peewee import ForeignKeyField

from app.models.base import (
    BaseModel,
    SafeCharField,
    SafeJSONField,
    SafeTextField,
    TimestampField,
    utcnow,
)
from app.models.users import User


class Conversation(BaseModel):
    class Meta:
        table_name = "conversations"

    user = ForeignKeyField(User, backref="conversations", on_delete="CASCADE")
    title = SafeTextField(default="New conversation")
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)


class Message(BaseModel):
    class Meta:
        table_name = "messages"

    conversation = ForeignKeyField(Conversation, backref="messages", on_delete="CASCADE")
    role = SafeCharField()  # user | assistant
    content = SafeTextField()
    citations = SafeJSONField(default=list)
    created_at = TimestampField(default=utcnow)
