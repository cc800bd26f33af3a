"""Query parsing and excerpt highlighting: no services."""
import pytest

from app.search.highlight import excerpt
from app.search.query import QueryError, parse


def test_terms_are_words_so_no_operator_can_sneak_in():
    q = parse("  Tidal & power | !grid:*  ")
    assert q.terms == ("tidal", "power", "grid")


@pytest.mark.parametrize("q", ["", "   ", "x" * 1001])
def test_empty_and_too_long_are_errors(q):
    with pytest.raises(QueryError):
        parse(q)


def test_punctuation_only_is_not_searchable():
    assert not parse("?!…").searchable and parse("東京").searchable


def test_excerpt_escapes_and_marks_stems():
    html = str(excerpt("<b>Tidal</b> turbines & tides", ["tidal", "turbine"]))
    assert html == "&lt;b&gt;<mark>Tidal</mark>&lt;/b&gt; <mark>turbines</mark> &amp; tides"


@pytest.mark.parametrize("terms", [["tidal"], ["ab", "über"], ["c++"], []])
def test_excerpt_marks_the_words_matches_would(terms):
    """The one-regex excerpt marks exactly the words the stem rule (_matches) accepts."""
    from app.search.highlight import _WORD, _matches
    text = "Tidal tidally TIDE ab abc über Über c++ c ab_cd"
    marked = str(excerpt(text, terms)).count("<mark>")
    assert marked == sum(_matches(m.group(), terms) for m in _WORD.finditer(text))


def test_excerpt_marks_only_matches_even_with_bracket_characters_in_the_text():
    html = str(excerpt("x \x02<i>\x03 tidal", ["tidal"]))
    assert html == "x &lt;i&gt; <mark>tidal</mark>"


@pytest.mark.parametrize("text", ["İstanbul and TIDAL power", "Tidal power", "no match here"])
def test_excerpt_finds_the_first_match_whatever_lower_does_to_the_text(text):
    """İ lowercases to two characters: the stem search's offsets then do not apply."""
    marked = str(excerpt(text, ["tidal"]))
    assert marked.count("<mark>") == ("tidal" in text.lower())
    assert "<mark>TIDAL</mark>" in marked or "<mark>Tidal</mark>" in marked or "no" in text
