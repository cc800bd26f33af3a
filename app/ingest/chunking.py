"""Splitting text into overlapping, sentence-aligned chunks that fit the embedding window."""
from app.text import approx_tokens, sentences


def chunk_text(text, max_tokens=200, max_chunks=200):
    """Chunks of at most ~max_tokens, with one sentence of overlap for context.

    Returns (chunks, truncated): at most max_chunks chunks; truncated says text was left out.
    """
    chunks, current, size = [], [], 0
    for sentence in _bounded_sentences(text, max_tokens):
        n = approx_tokens(sentence)
        if current and size + n > max_tokens:
            chunks.append(" ".join(current))
            if len(chunks) >= max_chunks:
                return chunks, True
            current, size = current[-1:], approx_tokens(current[-1])
            if size + n > max_tokens:
                current, size = [], 0
        current.append(sentence)
        size += n
    if current and len(chunks) < max_chunks:
        chunks.append(" ".join(current))
    return chunks, False


def _bounded_sentences(text, max_tokens):
    """Sentences, with any single over-long one (a table, a URL dump) cut into word runs."""
    limit = max(8, int(max_tokens / 1.3) - 1)
    for s in sentences(text):
        ws = s.split()
        if approx_tokens(s) <= max_tokens:
            yield s
            continue
        for i in range(0, len(ws), limit):
            yield " ".join(ws[i:i + limit])
