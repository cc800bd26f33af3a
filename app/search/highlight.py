"""Excerpts of chunk text around the query's terms, HTML-escaped, terms wrapped in <mark>."""
import functools
import re

from markupsafe import Markup, escape

_WORD = re.compile(r"\w+", re.UNICODE)
_OPEN, _CLOSE = "\x02", "\x03"


def _stem(term):
    return term[:max(4, len(term) - 2)] if len(term) >= 5 else term


def _matches(word, terms):
    """Close enough to Postgres' stemming: a shared stem-length prefix counts as a match."""
    w = word.lower()
    return any(w == t or (len(t) >= 5 and w.startswith(_stem(t))) for t in terms)


@functools.lru_cache(maxsize=256)
def _pattern(terms):
    """(one regex for _matches() over every term (a tuple), the terms' stems): a Python
    loop per word of every result cost more than the search's SQL. Cached: each result of
    a page reuses it."""
    stems = tuple(_stem(t) for t in terms)
    alts = [re.escape(s) + r"\w*" if len(t) >= 5 else re.escape(t) + r"\b"
            for t, s in zip(terms, stems, strict=True)]
    regex = re.compile(r"\b(?:" + "|".join(alts) + ")", re.IGNORECASE) if alts else None
    return regex, stems


def _first(pattern, text, stems):
    """The pattern's first match in text. A match starts with a term's stem, so the regex
    runs from the earliest one str.find sees, or not at all: trying its alternation at
    every word cost three quarters of an excerpt."""
    low = text.lower()
    found = [i for i in (low.find(s) for s in stems) if i >= 0]
    if not found:
        return None
    # lower() may change the length of exotic text; its offsets then do not apply
    return pattern.search(text, min(found) if len(low) == len(text) else 0)


def excerpt(text, terms, width=240):
    """About `width` characters of `text` around its first matching term, highlighted.
    Matches are bracketed with two control characters (first removed from the window;
    clean() keeps them out of stored text anyway), the window is escaped once, and the
    brackets become tags: escaping piece by piece cost a tenth of a search."""
    pattern, stems = _pattern(tuple(terms))
    first = _first(pattern, text, stems) if pattern else None
    start = max(0, first.start() - width // 3) if first else 0
    end = min(len(text), start + width)
    if start:  # begin on a word boundary
        space = text.find(" ", start, first.start() if first else end)
        start = space + 1 if space != -1 else start
    window = text[start:end].replace(_OPEN, "").replace(_CLOSE, "")
    if first:
        window = pattern.sub(lambda m: _OPEN + m.group() + _CLOSE, window)
    html = str(escape(window)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    prefix, suffix = ("…" if start else ""), ("…" if end < len(text) else "")
    return Markup(prefix + html + suffix)
