"""One chat turn as server-sent events: retrieve, stream the answer, cite, remember.

Frames: `meta` {conversation_id}, `note` {message} (when the model is unreachable and the
local extractive answer stands in), `token` {text} (many), `html` {html} (the whole answer
rendered, app.chat.render), `citations` [{n, article_id, title, url}], then `done` — or
`error` {message}, which always ends the stream so the page never waits on a spinner.
"""
import json
import logging
import re

from app.chat import extractive, memory, prompt, render
from app.metrics import LLM_FALLBACKS
from app.providers import get_provider
from app.providers.openai_compat import ProviderError
from app.search import search

log = logging.getLogger(__name__)
_CITE = re.compile(r"\[(\d+)\]")


def sse(event, data):
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def retrieve(cfg, user_id, question, history):
    """The best relevant chunks for the question plus the previous question (follow-ups
    like "and how much did it cost?" need it), trimmed to the query length limit."""
    previous = [m["content"] for m in history if m["role"] == "user"][-1:]
    text = " ".join([question, *previous])[:cfg.SEARCH_MAX_QUERY_CHARS]
    results = search(user_id, text, limit=cfg.CHAT_CONTEXT_CHUNKS, config=cfg)
    return [r for r in results
            if r["matched"] or r["similarity"] >= cfg.CHAT_MIN_SEMANTIC], text


FALLBACK_NOTE = ("The language model is not answering, so these are quotes from your "
                 "articles instead.")


def generate(cfg, question, context, history, chunks, on_fallback=None):
    """Yield answer tokens: extractive with the local default, else the configured LLM.
    A model that fails before its first token is replaced by the extractive answer
    (`on_fallback` is called first); one that fails mid-answer raises ProviderError."""
    if cfg.LLM_PROVIDER == "local":
        yield from _extractive(question, context, chunks)
        return
    stream, started = get_provider(cfg).stream(prompt.build(question, history, chunks)), False
    try:
        for token in stream:
            started = True
            yield token
    except ProviderError as exc:
        if started:
            raise
        log.warning("chat answered by the local fallback: %s", exc)
        LLM_FALLBACKS.labels("chat").inc()
        if on_fallback:
            on_fallback()
        yield from _extractive(question, context, chunks)


def _extractive(question, context, chunks):
    text, _ = extractive.compose(question, context, chunks)
    yield from extractive.tokens(text)


def citations(answer, chunks):
    """The chunks the answer cites by number (all of them if it cites none), one per
    article, in order."""
    cited = {int(n) for n in _CITE.findall(answer)} & set(range(1, len(chunks) + 1))
    numbered = [(n, c) for n, c in enumerate(chunks, 1) if not cited or n in cited]
    seen, out = set(), []
    for n, c in numbered:
        if c["article_id"] not in seen:
            seen.add(c["article_id"])
            out.append({"n": n, "article_id": c["article_id"], "title": c["title"],
                        "url": c["url"]})
    return out


def turn(cfg, user_id, conversation, question):
    """Generator of SSE frames for one question in `conversation`."""
    yield sse("meta", {"conversation_id": conversation.id, "title": conversation.title})
    parts = []
    try:
        history = memory.history(conversation, cfg.CHAT_HISTORY_EXCHANGES)
        memory.add(conversation, "user", question)
        chunks, context = retrieve(cfg, user_id, question, history)
        notes = []
        for token in generate(cfg, question, context, history, chunks,
                              lambda: notes.append(FALLBACK_NOTE)):
            while notes:
                yield sse("note", {"message": notes.pop()})
            parts.append(token)
            yield sse("token", {"text": token})
        answer = "".join(parts)
        cites = citations(answer, chunks) if chunks and answer.strip() != extractive.NOTHING \
            else []
        memory.add(conversation, "assistant", answer, cites)
        yield sse("html", {"html": str(render.answer_html(answer))})
        yield sse("citations", cites)
        yield sse("done", {})
    except ProviderError as exc:
        log.warning("chat provider failed: %s", exc)
        yield sse("error", {"message": "The language model failed or timed out; "
                            "please try again."})
    except Exception:
        log.exception("chat turn failed")
        yield sse("error", {"message": "Something went wrong while answering."})
