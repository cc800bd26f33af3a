"""What a search query means: validated text, its content terms, and the full-text query."""
import re
from dataclasses import dataclass

from app.text import terms

MAX_TERMS = 24  # an OR over hundreds of terms would match (and rank) nearly every chunk
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w", re.UNICODE)


class QueryError(ValueError):
    """The query cannot be searched as given (answered as 400 by the API)."""


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple

    @property
    def searchable(self):
        """False for punctuation-only input: nothing to embed or match, so no results."""
        return bool(_WORD.search(self.text))


def parse(q, max_chars=1000):
    """A Query, or QueryError when `q` is empty or longer than `max_chars`."""
    text = _SPACE.sub(" ", q or "").strip()
    if not text:
        raise QueryError("the query is empty")
    if len(text) > max_chars:
        raise QueryError(f"the query is longer than {max_chars} characters")
    return Query(text, tuple(terms(text)[:MAX_TERMS]))
