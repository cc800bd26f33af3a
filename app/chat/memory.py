"""Chat memory: a user's conversations and the recent exchanges the model gets to see."""
from app.models import Conversation, Message
from app.models.base import utcnow


def conversations(user_id, limit=100):
    """The user's conversations, most recently active first."""
    return list(Conversation.select().where(Conversation.user == user_id)
                .order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit))


def get(conversation_id, user_id):
    """The conversation if this user owns it, else None (callers answer 404)."""
    return Conversation.get_or_none((Conversation.id == conversation_id)
                                    & (Conversation.user == user_id))


def start(user_id, question):
    title = " ".join(question.split())[:80] or "New conversation"
    return Conversation.create(user=user_id, title=title)


def messages(conversation):
    return list(conversation.messages.order_by(Message.id))


def history(conversation, exchanges):
    """The last `exchanges` question/answer pairs, oldest first, as role/content dicts."""
    rows = (Message.select().where(Message.conversation == conversation)
            .order_by(Message.id.desc()).limit(exchanges * 2))
    return [{"role": m.role, "content": m.content} for m in reversed(list(rows))]


def add(conversation, role, content, citations=()):
    Message.create(conversation=conversation, role=role, content=content,
                   citations=list(citations))
    Conversation.update(updated_at=utcnow()).where(Conversation.id == conversation.id).execute()


def delete(conversation):
    conversation.delete_instance(recursive=True)
