"""Writes bench/data/wordnet_synonyms.tsv, the synonym table of the retrieval bench's
`paraphrase` queries (bench/queries.py), from WordNet 3.0 as Debian's `wordnet-base` ships it.

Run once by hand, not by the bench:  apt-get install wordnet-base
                                     .venv/bin/python -m bench.wordnet_table
The table is checked in, so the bench needs neither the package nor a download, and every
machine builds the same queries.

For each word that occurs in at least two of the corpus's emails (all of them, so any
BENCH_EMAILS finds its words): the other single-word lemmas of its most frequent sense
(the first synset in WordNet's index), at most three, taken from its parts of speech in the
order of how often that first sense was seen in WordNet's tagged texts (cntlist.rev: "free"
is an adjective before it is a verb). A first sense never seen there is in arbitrary order,
so its "synonyms" are as often another meaning: skipped. Lemmas that only inflect or derive
from the word (same first five letters) are left to the morphological rules of
bench/queries.py.
"""
import collections
import glob
import json
import os
import re

from app.text import words
from bench.corpus import DATA_DIR

WORDNET = os.environ.get("WORDNET_DIR", "/usr/share/wordnet")
TABLE = os.path.join(os.path.dirname(__file__), "data", "wordnet_synonyms.tsv")
POS = {"1": "noun", "2": "verb", "3": "adj", "4": "adv", "5": "adj"}  # sense key digit
MAX_SYNONYMS = 3
LICENSE = "/usr/share/doc/wordnet-base/copyright"


def corpus_words(min_emails=2):
    """Words (letters only, 3+) that occur in at least `min_emails` of the corpus's emails."""
    df = collections.Counter()
    for path in glob.glob(os.path.join(DATA_DIR, "*", "*.json")):
        with open(path) as fh:
            text = json.load(fh)["text"]
        df.update({w for w in words(text) if w.isalpha() and len(w) >= 3})
    return {w for w, n in df.items() if n >= min_emails}


def first_sense_counts():
    """{(lemma, pos): times its first sense was seen in WordNet's tagged texts}."""
    out = collections.Counter()
    with open(os.path.join(WORDNET, "cntlist.rev")) as fh:
        for line in fh:
            key, sense, count = line.split()
            lemma, rest = key.split("%")
            if sense == "1":
                out[lemma, POS[rest[0]]] += int(count)
    return out


def first_senses(pos):
    """{lemma: offset of its first (most frequent) synset}."""
    out = {}
    with open(os.path.join(WORDNET, f"index.{pos}")) as fh:
        for line in fh:
            if not line.startswith(" "):  # the license header
                f = line.split()
                out[f[0]] = f[-int(f[2])]
    return out


def synset_lemmas(pos, offsets):
    """{offset: [lemma, ...]} for the given synsets (read by byte offset, as WordNet is)."""
    out = {}
    with open(os.path.join(WORDNET, f"data.{pos}"), "rb") as fh:
        for offset in offsets:
            fh.seek(int(offset))
            f = fh.readline().decode().split()
            count = int(f[3], 16)
            out[offset] = [re.sub(r"\(.*\)$", "", w).lower() for w in f[4:4 + 2 * count:2]]
    return out


def synonyms(vocabulary):
    """{word: [synonym, ...]} for the words of `vocabulary` that have any."""
    counts, found = first_sense_counts(), []
    for pos in sorted(set(POS.values())):
        senses = {w: o for w, o in first_senses(pos).items() if counts[w, pos] > 0}
        senses = {w: o for w, o in senses.items() if w in vocabulary}
        lemmas = synset_lemmas(pos, set(senses.values()))
        found += [(w, -counts[w, pos], lemmas[o]) for w, o in senses.items()]
    table = collections.defaultdict(list)
    for word, _, lemmas in sorted(found):  # per word, its most seen part of speech first
        for other in lemmas:
            if (other.isalpha() and other[:5] != word[:5] and other not in table[word]
                    and len(table[word]) < MAX_SYNONYMS):
                table[word].append(other)
    return {w: s for w, s in table.items() if s}


def main():
    table = synonyms(corpus_words())
    os.makedirs(os.path.dirname(TABLE), exist_ok=True)
    with open(LICENSE) as fh:
        license_text = fh.read().split("Files: debian/*")[0]
    with open(TABLE, "w") as fh:
        fh.write("# Synonyms from WordNet 3.0 (first sense); written by bench/wordnet_table.py\n")
        fh.writelines(f"# {line}".rstrip() + "\n" for line in license_text.splitlines())
        fh.writelines(f"{w}\t{' '.join(table[w])}\n" for w in sorted(table))
    print(f"{len(table)} words -> {TABLE}")


if __name__ == "__main__":
    main()
