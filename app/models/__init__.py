"""All models, importable from one place."""
from app.models.articles import Article, Chunk, Source, SourceFile
from app.models.chat import Conversation, Message
from app.models.events import STATUSES, InboundEvent
from app.models.users import MagicLinkToken, Session, User, normalise_email

__all__ = ["Article", "Chunk", "Source", "SourceFile", "Conversation", "Message",
           "InboundEvent", "STATUSES", "MagicLinkToken", "Session", "User", "normalise_email"]
