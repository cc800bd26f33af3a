"""The local default's answers: no model, just the most relevant sentences of the best
chunks, quoted verbatim with their citation number.

Everything it says is either one of its fixed phrases or a quotation, so text planted in
an email can be repeated as a quotation but can never become the answer's own words.
"""
import re

from app.search.highlight import _matches
from app.text import content, sentences, terms

NOTHING = "I found nothing relevant to that in your articles."
INTRO = "Here is what your articles say:"
_TOKEN = re.compile(r"\S+\s*|\s+")
_NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|twelve|hundred|thousand|"
                 "million|billion")
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# What kind of answer a question asks for, and what a sentence holding one looks like.
ANSWER_KINDS = [
    (re.compile(r"^\W*how (?:many|much|long|far|old|big|often)\b", re.I),
     re.compile(rf"\d|\b(?:{_NUMBER_WORDS}|dozens?|half)\b", re.I)),
    (re.compile(r"^\W*(?:when|what (?:year|date|day|time))\b", re.I),
     re.compile(rf"\b(?:1[89]\d\d|20\d\d|{_MONTHS}|yesterday|today|tomorrow|"
                r"(?:last|next) (?:week|month|year))\b", re.I)),
    (re.compile(r"^\W*who\b", re.I), re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+")),
    (re.compile(r"^\W*where\b", re.I), re.compile(r"\b(?:in|at|near|from) [A-Z]")),
]
KIND_BONUS = 1.5


def answer_kind(question):
    """The pattern of the sentence that answers `question` (a number for "how many"...)."""
    return next((shape for asks, shape in ANSWER_KINDS if asks.search(question)), None)


def best_sentences(question, context, chunks, limit=3):
    """(chunk number, sentence) pairs: question words count double, context words once, a
    sentence of the kind the question asks for (a number, a date...) gains KIND_BONUS, and
    email furniture (headers, quotes, footers) is never picked."""
    asked, around, kind = terms(question), terms(context), answer_kind(question)
    scored, seen = [], set()
    for n, chunk in enumerate(chunks, 1):
        for pos, s in enumerate(map(content, sentences(chunk["content"]))):
            if not 20 <= len(s) <= 600 or s in seen:  # the same sentence once
                continue
            seen.add(s)
            ws = re.findall(r"\w+", s)
            hits = 2 * sum(any(_matches(w, [t]) for w in ws) for t in asked) + sum(
                any(_matches(w, [t]) for w in ws) for t in around if t not in asked)
            if hits:
                bonus = KIND_BONUS if kind and kind.search(s) else 0
                scored.append((hits + bonus + chunk["score"]["total"], -n, -pos, n, s))
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
