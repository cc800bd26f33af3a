"""Plain-text helpers shared by ingestion, summaries, search and chat."""
import re
import unicodedata

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"')\]]*\s+|\n{2,}")
_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset("""a about above after again against all am an and any are as at be
because been before being below between both but by can could did do does doing down during
each few for from further had has have having he her here hers herself him himself his how i
if in into is it its itself just me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself
yourselves""".split())


def clean(text):
    """Normalise Unicode, drop control characters and collapse runs of blank space."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def sentences(text):
    """Split into sentences (roughly; good enough for chunk boundaries and summaries)."""
    parts = (p.strip() for p in _SENTENCE_END.split(text or ""))
    return [re.sub(r"\s+", " ", p) for p in parts if p]


# What an email carries around its content: header lines quoted in forwards and digests
# ("URL: ... Date: ..."), reply quotes, signature and rule lines, list footers. Summaries
# and offline answers skip sentences like these.
_BOILERPLATE = re.compile(
    r"^(?:>|(?:url|date|from|to|cc|sent|subject|reply-to|message-id)\s*:|--\s*$|[-_=*]{5,})"
    r"|unsubscribe|mailing list|you are receiving|you received this|list-(?:id|help)"
    r"|view (?:it|this|the email) (?:in|on) (?:your|a) (?:web )?browser", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


# Feed items forwarded as email start with their fields on the same line as the text.
_FIELDS = re.compile(r"^(?:(?:url|date|link|source)\s*:\s*\S+\s*)+", re.IGNORECASE)


def is_boilerplate(sentence):
    """Email furniture rather than content, or links with hardly a word around them."""
    s = sentence.strip()
    return bool(_BOILERPLATE.search(s)) or (bool(_URL.search(s))
                                            and len(words(_URL.sub(" ", s))) < 4)


def content(sentence):
    """The sentence without leading URL:/Date: fields; "" when it is email furniture."""
    s = _FIELDS.sub("", sentence.strip())
    return "" if is_boilerplate(s) else s


def words(text):
    return _WORD.findall((text or "").lower())


def terms(text):
    """Distinct content words of a query, in order (stopwords and 1-letter words dropped)."""
    seen = []
    for w in words(text):
        if (len(w) > 1 or not w.isascii()) and w not in STOPWORDS and w not in seen:
            seen.append(w)
    return seen


def approx_tokens(text):
    """WordPiece splits about 1.3 tokens per English word; close enough for budgeting."""
    return int(len(words(text)) * 1.3) + 1
