"""Offline answers and summaries skip email furniture, prefer the sentence of the kind a
question asks for, and render quotes as sanitised block quotes."""
from app.chat.extractive import answer_kind, best_sentences, compose
from app.chat.render import answer_html
from app.providers.local import LocalProvider
from app.text import content, is_boilerplate

FEED = ("URL: http://www.newsisfree.com/click/-1,8381645,215/ Date: 2002-09-25T10:01:02+01:00 "
        "Exam boards will review grades after a row over marking. "
        "Around 30,000 A-level exams will be reviewed by the boards. "
        "Schools have complained about the marking for weeks.\n\n"
        "To unsubscribe from this list, visit the web page.")


def _chunk(text, total=0.5):
    return {"content": text, "score": {"total": total}}


def test_furniture_is_recognised_and_leading_fields_are_dropped():
    assert content("URL: http://x.example/a Date: 2002-09-25 Exams will be reviewed.") == \
        "Exams will be reviewed."
    for line in ("To unsubscribe from this list, visit the page.", "> quoted reply text here",
                 "Subject: Re: marking", "http://example.com/a/very/long/link/indeed ok",
                 "More: https://example.com/x https://example.com/y",
                 "-- ", "__________"):
        assert is_boilerplate(line), line
    assert not is_boilerplate("Around 30,000 A-level exams will be reviewed.")
    assert not is_boilerplate("Read the full report at https://example.com/r for the details.")


def test_a_how_many_question_gets_the_sentence_with_the_number():
    assert answer_kind("How many A-level exams will be reviewed?").search("30,000")
    assert answer_kind("What is kelp?") is None
    picked = best_sentences("How many A-level exams will be reviewed?", "", [_chunk(FEED)],
                            limit=1)
    assert picked == [(1, "Around 30,000 A-level exams will be reviewed by the boards.")]


def test_summaries_skip_feed_fields_and_footers():
    summary = LocalProvider.__new__(LocalProvider).summarize("Exam grades", FEED)
    assert "URL:" not in summary and "Date:" not in summary
    assert "unsubscribe" not in summary and "A-level" in summary


def test_quotes_render_as_sanitised_block_quotes():
    text, _ = compose("How many exams will be reviewed?", "", [_chunk(FEED)])
    html = answer_html(text + "\n\n<script>alert(1)</script> [x](javascript:alert(2))")
    assert html.count("<blockquote>") >= 1 and "30,000" in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # shown as text, inert
    assert 'href="javascript' not in html


def test_a_sentence_repeated_across_chunks_is_quoted_once():
    text = "The tidal array produced 50 gigawatt hours of electricity last year. "
    picked = best_sentences("How much electricity did the array produce?", "",
                            [_chunk(text), _chunk(text + "Turbines spin slowly.")])
    assert [s for _, s in picked].count(text.strip()) == 1
