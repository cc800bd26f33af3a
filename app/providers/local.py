"""The local default provider: no key, no network, nothing downloaded at run time."""
import collections
import math

from app.providers.categories import nearest
from app.text import STOPWORDS, content, sentences, words


class LocalProvider:
    """Extractive summaries (word-frequency sentence scoring) and embedding-based
    classification; answers are extractive too (see app.chat)."""
    name = "local"

    def __init__(self, embedder):
        self.embedder = embedder

    def summarize(self, title, text, max_sentences=3, max_chars=600):
        """The few sentences that carry the text's most frequent content words, in order."""
        sents = list(dict.fromkeys(s for s in map(content, sentences(text)[:400])
                                   if 20 <= len(s) <= 400))
        if not sents:
            return (text or "").strip()[:max_chars]
        freq = collections.Counter(w for w in words(text) + words(title) * 3
                                   if w not in STOPWORDS and len(w) > 2)
        top = max(freq.values(), default=1)

        def score(i, s):
            ws = [w for w in words(s) if w in freq]
            position = 1.0 / math.sqrt(i + 1)  # newsletters front-load what matters
            return sum(freq[w] / top for w in ws) / (len(words(s)) + 5) + 0.2 * position

        best = sorted(sorted(enumerate(sents), key=lambda p: -score(*p))[:max_sentences])
        return " ".join(s for _, s in best)[:max_chars].strip()

    def classify(self, title, text, mean_embedding=None):
        vector = mean_embedding or self.embedder.embed([f"{title}. {text[:1000]}"])[0]
        return nearest(vector, self.embedder)
