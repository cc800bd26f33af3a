"""Query families for the retrieval bench, built from the corpus itself: no model, no
download, the same queries on every machine for the same emails.

Each family is a function (email, rng, corpus) → query text or None (no query from this
email), registered in FAMILIES. Its rng is seeded by (SEED, family name, the email's subject
and text), so the queries do not depend on the order of the emails; which words count as
mid-frequency does depend on the corpus (BENCH_EMAILS). A query answers to the email it
came from; queries that come out the same (e.g. two emails with one subject) are one query
answering to all of them. For the body families an email with the very same text answers
too (the corpus holds duplicate spam). A held-out family (written by hand, or by another
generator, and never looked at while tuning) is one more function in FAMILIES.
Queries equal to another email's subject are dropped: they would test the subject family.

- `subject`: the email's subject (lower-case), if it has at least two content words and is
  not a placeholder like "(no subject)". Subjects are not indexed, only bodies.
- `body`: what a person might remember of the body. A passage of WINDOW consecutive content
  words (not stopwords, letters only) starts at a random place; of its *remembered* words
  (mid-frequency: in at least 2 emails and at most MAX_DF_SHARE of them, so neither a
  typo or tracking token nor a word a tenth of the emails share, and no URL/HTML residue
  such as "www" or "nbsp"), 4-8 are kept in passage order (the rest dropped), then 0-2
  neighbours are swapped.
  Emails with fewer than MIN_WORDS content words are skipped.
- `paraphrase`: the same recall in other words. From another passage, 3-5 remembered words
  that can be replaced by a word *not in the email at all*, each replaced, the list put in
  a question frame ("what did it say about a, b and c"). A replacement is drawn uniformly
  from (1) the word's WordNet synonyms (first sense, single words: bench/data/
  wordnet_synonyms.tsv, written by bench/wordnet_table.py) and (2) its regular
  inflections (plural/singular, -s/-ed/-ing, e-drop, y→ies) that occur somewhere in the
  corpus, so they are real words. (2) is a stemming-only match: Postgres' English stemmer
  and FTS5's porter tokenizer map it back to the email's lexeme, while the vector side sees
  a different token. (1) has to be bridged by the embedding. WordNet's first sense is
  sometimes not the email's sense ("free" → "liberate"): such queries are hard for every
  system alike. The frame words ("say", "anything", ...) are noise every system sees.

Three more families came later (2026-11-30) as checks of the fusion chosen on the first
three, and the default's weight was then chosen over all six (docs/search.md):
- `short`: two remembered words of a passage, in order: a terse search box query.
- `typo`: a body query (4-6 words, in order) with two of its words misspelt by one
  edit (two neighbouring letters swapped, or one dropped): no stemmer maps those back.
- `phrase`: 4-7 consecutive words of the text as written, stopwords included: a line
  someone remembers verbatim.
"""
import collections
import os
import random
import re
from dataclasses import dataclass

from app.text import STOPWORDS, terms, words

SEED = 11
WINDOW = 25
MIN_WORDS = 40
MAX_DF_SHARE = 0.1
SYNONYMS = os.path.join(os.path.dirname(__file__), "data", "wordnet_synonyms.tsv")
# Pieces of URLs and HTML that survive text extraction: frequent, but nobody recalls them.
WEB = frozenset("http https www com net org html htm nbsp mailto href src gif jpg png font "
                "td tr br div img width height align border bgcolor face color size".split())
_TOKEN = re.compile(r"\w+(?:['’]\w+)*")
FRAMES = ("what did it say about {}", "anything on {}", "{}", "that one about {}",
          "what was {} again")


@dataclass(frozen=True)
class Email:
    id: int
    subject: str
    text: str


@dataclass(frozen=True)
class Case:
    family: str
    text: str
    relevant: frozenset


class Corpus:
    """Word statistics over the emails that queries are drawn from (and searched in)."""

    def __init__(self, emails, synonyms=None):
        self.emails = list(emails)
        self.df = collections.Counter(w for e in self.emails for w in set(words(e.text)))
        self.synonyms = load_synonyms() if synonyms is None else synonyms

    def remembered(self, word):
        """Mid-frequency: a word that sets the email apart without being a one-off."""
        return 2 <= self.df[word] <= max(2, MAX_DF_SHARE * len(self.emails)) and word not in WEB


def load_synonyms(path=SYNONYMS):
    with open(path) as fh:
        rows = (line.rstrip("\n").split("\t") for line in fh if not line.startswith("#"))
        return {word: synonyms.split() for word, synonyms in rows}


def content_words(text):
    """The text's words in order, without stopwords, digits, one- and two-letter words or
    contractions ("doesn't" would leave "doesn", which nobody types)."""
    return [w for w in _TOKEN.findall(text.lower())
            if w.isalpha() and 3 <= len(w) <= 20 and w not in STOPWORDS]


def passage(email, rng, corpus):
    """The remembered words (distinct, in order) of a random passage, or None if short."""
    ws = content_words(email.text)
    if len(ws) < MIN_WORDS:
        return None
    start = rng.randrange(len(ws) - WINDOW + 1)
    return [w for w in dict.fromkeys(ws[start:start + WINDOW]) if corpus.remembered(w)]


def pick(pool, rng, low, high):
    """`low`-`high` of pool's items, in pool order; None when pool has fewer than `low`."""
    k = min(rng.randint(low, high), len(pool))
    return None if k < low else [pool[i] for i in sorted(rng.sample(range(len(pool)), k))]


def subject(email, rng, corpus):
    title = " ".join(email.subject.split())
    if len(terms(title)) >= 2 and not title.startswith("("):
        return title.lower()
    return None


def body(email, rng, corpus):
    chosen = pick(passage(email, rng, corpus) or [], rng, 4, 8)
    if not chosen:
        return None
    for _ in range(rng.randint(0, 2)):  # remembered roughly, not in order
        i = rng.randrange(len(chosen) - 1)
        chosen[i], chosen[i + 1] = chosen[i + 1], chosen[i]
    return " ".join(chosen)


def paraphrase(email, rng, corpus):
    own = set(words(email.text))
    pool = [w for w in passage(email, rng, corpus) or [] if replacements(w, own, corpus)]
    chosen = pick(pool, rng, 3, 5)
    if not chosen:
        return None
    swapped = [rng.choice(replacements(w, own, corpus)) for w in chosen]
    listed = ", ".join(swapped[:-1]) + " and " + swapped[-1]
    return rng.choice(FRAMES).format(listed)


def replacements(word, own, corpus):
    """Words for `word` that the email never uses: synonyms, then inflections."""
    found = corpus.synonyms.get(word, []) + sorted(
        w for w in inflections(word) if corpus.df[w] > 0)
    return [w for w in dict.fromkeys(found) if w not in own]


def inflections(word):
    """Regular inflections of `word` and of the bases it may inflect from, by suffix rules;
    some are not words (the caller keeps those the corpus has)."""
    bases = {word}
    for suffix in ("s", "es", "ed", "d", "ing"):
        base = word[:-len(suffix)]
        if word.endswith(suffix) and len(base) >= 3:
            bases |= {base, base + "e"}
            if base.endswith("i"):
                bases.add(base[:-1] + "y")  # carried -> carry
            if base[-1] == base[-2]:
                bases.add(base[:-1])  # stopped -> stop
    forms = set()
    for b in bases:
        forms |= {b, b + "s", b + "es", b + "ed", b + "ing"}
        if b.endswith("e"):
            forms |= {b + "d", b[:-1] + "ing"}
        if b.endswith("y"):
            forms |= {b[:-1] + "ies", b[:-1] + "ied"}
    return {f for f in forms if re.fullmatch(r"[a-z]{3,}", f)} - {word}


def short(email, rng, corpus):
    chosen = pick(passage(email, rng, corpus) or [], rng, 2, 2)
    return " ".join(chosen) if chosen else None


def typo(email, rng, corpus):
    chosen = pick(passage(email, rng, corpus) or [], rng, 4, 6)
    if not chosen:
        return None
    for i in rng.sample(range(len(chosen)), 2):
        chosen[i] = misspell(chosen[i], rng)
    return " ".join(chosen)


def misspell(word, rng):
    """One edit inside the word (its first letter kept): two different neighbours swapped,
    or one letter dropped (also when the neighbours are the same letter)."""
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + word[i + 1:]


def phrase(email, rng, corpus):
    ws = [w for w in _TOKEN.findall(email.text.lower()) if w.isalpha()]
    if len(content_words(email.text)) < MIN_WORDS:
        return None
    start = rng.randrange(len(ws) - WINDOW + 1)
    text = " ".join(ws[start:start + rng.randint(4, 7)])
    return text if len(content_words(text)) >= 2 else None  # not "and it was the"


FAMILIES = {"subject": subject, "body": body, "paraphrase": paraphrase,
            "short": short, "typo": typo, "phrase": phrase}
# Relevance stays "every email with that subject", as this bench has always measured it;
# every other family also counts the emails with the same text as its source.
BY_SUBJECT = {"subject"}


def build(corpus, families=FAMILIES, seed=SEED):
    """[Case, ...]: every family's queries, in family order, then by query text."""
    subjects = collections.defaultdict(set)
    twins = collections.defaultdict(set)
    for e in corpus.emails:
        subjects[_norm(e.subject)].add(e.id)
        twins[_norm(e.text)].add(e.id)
    cases = []
    for name, make in families.items():
        found = collections.defaultdict(set)
        for e in corpus.emails:
            text = make(e, random.Random(f"{seed}/{name}/{e.subject}\n{e.text}"), corpus)
            if text:
                found[text] |= {e.id} if name in BY_SUBJECT else twins[_norm(e.text)]
        cases += [Case(name, text, frozenset(ids)) for text, ids in sorted(found.items())
                  if not subjects.get(_norm(text), set()) - ids]
    return cases


def _norm(text):
    return " ".join(text.lower().split())
