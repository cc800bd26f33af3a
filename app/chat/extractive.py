"""The local default's answers: no model, just the most relevant sentences of the best
chunks, quoted verbatim with their citation number.

Everything it says is either one of its fixed phrases or a quotation, so text planted in
an email can be repeated as a quotation but can never become the answer's own words.
"""
import re

from app.search.highlight import _matches
from app.text import sentences, terms

NOTHING = "I found nothing relevant to that in your articles."
INTRO = "Here is what your articles say:"
_TOKEN = re.compile(r"\S+\s*|\s+")


def best_sentences(question, context, chunks, limit=3):
    """(chunk number, sentence) pairs: question words count double, context words once."""
    asked, around = terms(question), terms(context)
    scored = []
    for n, chunk in enumerate(chunks, 1):
        for pos, s in enumerate(sentences(chunk["content"])):
            ws = re.findall(r"\w+", s)
            hits = 2 * sum(any(_matches(w, [t]) for w in ws) for t in asked) + sum(
                any(_matches(w, [t]) for w in ws) for t in around if t not in asked)
            if hits and 20 <= len(s) <= 600:
                scored.append((hits + chunk["score"]["total"], -n, -pos, n, s))
    picked = sorted(scored, reverse=True)[:limit]
    return [(n, s) for *_, n, s in sorted(picked, key=lambda p: (-p[1], -p[2]))]


def compose(question, context, chunks):
    """The whole answer text and the chunk numbers it cites."""
    quotes = best_sentences(question, context, chunks)
    if not quotes:
        return NOTHING, []
    lines = [f"> “{s.replace('”', '″')}” [{n}]" for n, s in quotes]
    return "\n\n".join([INTRO, *lines]), sorted({n for n, _ in quotes})


def tokens(text):
    """The answer cut into word-sized pieces, streamed like an LLM's tokens."""
    return _TOKEN.findall(text)
