"""The retrieval bench's query families (bench/queries.py): deterministic, and of the
intended shape, on a few hand-written emails."""
import random

import pytest

from app.text import STOPWORDS, terms, words
from bench import queries
from bench.queries import Corpus, Email, build

PASSAGE = ("The gardening club planted tomatoes, peppers and cucumbers beside the greenhouse "
           "while volunteers repaired fences, painted benches and watered seedlings. Members "
           "discussed compost, mulching, pruning schedules, irrigation pipes, rainwater barrels "
           "and pest control. The treasurer reported donations, membership fees, raffle "
           "tickets and expenses for shovels, gloves, wheelbarrows and fertiliser bags. ")
SYNONYMS = {"tomatoes": ["love_apple"], "volunteers": ["helpers"], "fences": ["barriers"],
            "benches": ["seats"], "donations": ["gifts"], "pruning": ["trimming"]}


def corpus():
    """Four emails sharing vocabulary (so their words are mid-frequency), one too short,
    two with one subject, and filler so no word is in more than a tenth of the emails."""
    mails = [Email(1, "Garden club minutes", PASSAGE * 2),
             Email(2, "Garden club minutes", PASSAGE.replace("tomatoes", "beans") * 2),
             Email(3, "Treasurer's report for spring", PASSAGE[::-1][:5] + PASSAGE * 2),
             Email(4, "hi", "Too short to remember anything."),
             Email(5, "(no subject)", PASSAGE + " seats gifts helpers barriers trimming")]
    filler = [Email(100 + i, f"filler {i}", f"unrelated{chr(97 + i % 26)} text")
              for i in range(40)]
    return Corpus(mails + filler, synonyms=SYNONYMS)


def by_family(cases, family):
    return [c for c in cases if c.family == family]


def test_build_is_deterministic():
    assert build(corpus()) == build(corpus())
    assert build(corpus(), seed=1) != build(corpus(), seed=2)


def test_queries_do_not_depend_on_the_order_of_the_emails():
    assert build(Corpus(corpus().emails[::-1], SYNONYMS)) == build(corpus())


def test_subject_queries_group_emails_with_one_subject():
    cases = by_family(build(corpus()), "subject")
    assert {c.text: c.relevant for c in cases}["garden club minutes"] == {1, 2}
    assert "hi" not in {c.text for c in cases}  # one content word
    assert not any(c.text.startswith("(") for c in cases)


@pytest.mark.parametrize("family", ["body", "paraphrase"])
def test_short_emails_give_no_query(family):
    assert 4 not in set().union(*(c.relevant for c in by_family(build(corpus()), family)))


def test_body_queries_are_remembered_words_of_the_email():
    c = corpus()
    cases = by_family(build(c), "body")
    assert cases
    for case in cases:
        ws = case.text.split()
        assert 4 <= len(ws) <= 8 and len(set(ws)) == len(ws)
        assert not STOPWORDS & set(ws)
        assert all(c.remembered(w) for w in ws)
        source = next(e for e in c.emails if e.id == min(case.relevant))
        assert set(ws) <= set(words(source.text))


def test_paraphrase_queries_use_words_the_email_does_not():
    c = corpus()
    cases = by_family(build(c), "paraphrase")
    assert cases
    for case in cases:
        for email in (e for e in c.emails if e.id in case.relevant):
            new = set(terms(case.text)) - set(words(email.text))
            assert len(new) >= 3, case.text


def test_identical_texts_answer_the_same_body_query():
    twin = Email(6, "Copy", PASSAGE * 2)
    c = Corpus([*corpus().emails, twin], SYNONYMS)
    for case in by_family(build(c), "body"):
        assert (1 in case.relevant) == (6 in case.relevant)


def test_queries_equal_to_another_emails_subject_are_dropped():
    c = corpus()
    [case] = [x for x in by_family(build(c), "body") if 1 in x.relevant]
    impostor = Email(7, case.text.upper(), "nothing in common")
    cases = build(Corpus([*c.emails, impostor], SYNONYMS), families={"body": queries.body})
    assert case.text not in {x.text for x in cases}


def test_inflections_are_regular_forms():
    assert {"fence", "fenced", "fencing"} <= queries.inflections("fences")
    assert "carry" in queries.inflections("carried")
    assert "stop" in queries.inflections("stopped")
    assert "fences" not in queries.inflections("fences")


def test_the_shipped_synonym_table_loads():
    table = queries.load_synonyms()
    assert table["buy"] == ["purchase"]
    assert all(s.isalpha() for syns in table.values() for s in syns)


def test_answer_questions_are_complete():
    """Every answer-quality question names its email, asks something and expects a fact."""
    from bench.answers import questions
    rows = questions()
    assert len(rows) >= 20
    assert all(r["title"] and r["question"].endswith("?") and r["expect"] for r in rows)
    assert len({r["question"] for r in rows}) == len(rows)


def test_short_queries_are_two_remembered_words():
    c = corpus()
    cases = by_family(build(c), "short")
    assert cases
    assert all(len(case.text.split()) == 2 for case in cases)
    assert all(c.remembered(w) for case in cases for w in case.text.split())


def test_typo_queries_misspell_two_remembered_words():
    c = corpus()
    cases = by_family(build(c), "typo")
    assert cases
    for case in cases:
        ws = case.text.split()
        assert 4 <= len(ws) <= 6
        assert 1 <= sum(not c.remembered(w) for w in ws) <= 2, case.text


@pytest.mark.parametrize("seed", range(20))
def test_misspell_is_one_edit_that_keeps_the_first_letter(seed):
    rng = random.Random(seed)
    for word in ("compost", "irrigation", "tea", "teeth", "mississippi"):
        typo = queries.misspell(word, rng)
        assert typo != word and typo[0] == word[0]
        swapped = len(typo) == len(word) and sorted(typo) == sorted(word)
        assert swapped or len(typo) == len(word) - 1


def test_phrase_queries_are_consecutive_words_of_the_email():
    c = corpus()
    cases = by_family(build(c), "phrase")
    assert cases
    for case in cases:
        source = next(e for e in c.emails if e.id == min(case.relevant))
        assert case.text in " ".join(source.text.lower().replace(",", "").replace(".", "")
                                     .replace("'", " ").split())
        assert 4 <= len(case.text.split()) <= 7
