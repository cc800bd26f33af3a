"""Chat pages and API: thin — parse, check, hand over to app.chat.answer / memory."""
from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from app.auth.sessions import login_required
from app.chat import answer, limiter, memory
from app.config import current as current_config
from app.params import MAX_ID, ParamError, Params

bp = Blueprint("chat", __name__)
MAX_QUESTION_CHARS = 4000


def _owned(conversation_id):
    conversation = memory.get(conversation_id, g.user.id)
    if conversation is None:
        abort(404, description="no such conversation")
    return conversation


@bp.get("/chat")
@bp.get("/chat/<int:conversation_id>")
@login_required
def page(conversation_id=None):
    current = _owned(conversation_id) if conversation_id else None
    return render_template("chat/index.html", conversations=memory.conversations(g.user.id),
                           current=current,
                           messages=memory.messages(current) if current else [])


@bp.post("/chat/stream")
@login_required
def stream():
    question, conversation = _parse_question()  # a bad request never takes a slot
    cfg, user_id = current_config(), g.user.id
    if not limiter.acquire(user_id, cfg.CHAT_MAX_STREAMS, cfg.LLM_TIMEOUT_SECONDS + 60):
        abort(429, description="too many answers streaming at once; wait for one to finish")
    try:
        conversation = conversation or memory.start(user_id, question)
        resp = Response(stream_with_context(answer.turn(cfg, user_id, conversation, question)),
                        mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    except BaseException:
        limiter.release(user_id)  # no response will be closed to release it
        raise
    # The server closes the response however the stream ends: done, error, or the client
    # going away mid-answer.
    resp.call_on_close(lambda: limiter.release(user_id))
    return resp


def _parse_question():
    """(question, owned conversation or None) from the JSON body; 400 or 404 otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ParamError({"body": "must be a JSON object with a message"})
    fields = Params(body)
    question = fields.text("message", MAX_QUESTION_CHARS).strip()
    cid = fields.int("conversation_id", None, 1, MAX_ID)
    if not question:
        fields.refuse("message", f"must be 1 to {MAX_QUESTION_CHARS} characters")
    fields.done()
    return question, (_owned(cid) if cid else None)


@bp.get("/api/conversations")
@login_required
def api_list():
    return jsonify(conversations=[_conversation_json(c)
                                  for c in memory.conversations(g.user.id)])


@bp.get("/api/conversations/<int:conversation_id>")
@login_required
def api_open(conversation_id):
    conversation = _owned(conversation_id)
    msgs = [{"role": m.role, "content": m.content, "citations": m.citations,
             "created_at": m.created_at.isoformat()} for m in memory.messages(conversation)]
    return jsonify(**_conversation_json(conversation), messages=msgs)


@bp.delete("/api/conversations/<int:conversation_id>")
@login_required
def api_delete(conversation_id):
    memory.delete(_owned(conversation_id))
    return "", 204


@bp.post("/chat/<int:conversation_id>/delete")
@login_required
def delete(conversation_id):
    memory.delete(_owned(conversation_id))
    return redirect(url_for("chat.page"))


def _conversation_json(c):
    return {"id": c.id, "title": c.title, "url": url_for("chat.page", conversation_id=c.id),
            "updated_at": c.updated_at.isoformat()}
