"""Bounded extraction (docs/limits.md): hostile PDFs, HTML and attachment lists end in
seconds, in bounded memory, with the reason on the part and the rest of the message kept."""
import dataclasses
import os
import subprocess
import sys
import time

from app.config import Config
from app.ingest.extract import html_text, html_to_text, label, payload_attachments
from app.ingest.limits import Limits, spans
from app.ingest.message import read_message
from tests.hostile_pdfs import attachment, pdf_bomb, pdf_pages

BODY = "Tidal turbines in the Pentland Firth fed the grid through the spring tides. " * 20


def cfg(**values):
    return dataclasses.replace(Config(), **values)


# Reads the bomb in a fresh interpreter and prints the peak RSS (MB) of that process and of
# its children: the whole extraction tree, apart from whatever else this test run started.
# Its own peak is VmHWM, not RUSAGE_SELF: exec records the hiwater of the memory it leaves,
# and a vfork()ed child leaves its parent's, so a large pytest process would show through.
TREE = """import re, resource, sys
from app.ingest.extract import pdf_text
pdf_text(sys.stdin.buffer.read())
own = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1]) // 1024
print(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)"""


def extraction_tree_peak_mb(data):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, "-c", TREE], input=data, capture_output=True,
                          cwd=root, timeout=60, check=True)
    return [int(mb) for mb in done.stdout.split()]


def test_pdf_bomb_settles_in_seconds_in_bounded_memory_and_the_body_is_kept():
    bomb = pdf_bomb()
    assert len(bomb) < 100_000
    started = time.monotonic()
    msg = read_message({"subject": "Report", "text": BODY,
                        "attachments": [attachment("bomb.pdf", "application/pdf", bomb)]})
    assert time.monotonic() - started < 10  # unbounded pypdf: 12 s and 874 MB per page
    part = msg.parts[1]
    assert part.error.startswith("pages 1–4: LimitReachedError") and part.raw_text == ""
    assert part.metadata["pages"] == 4 and part.metadata["extraction"]["peak_rss_mb"] < 1024
    assert all(mb < 1024 for mb in extraction_tree_peak_mb(bomb))
    assert msg.text == BODY.strip() and msg.parts[0].error is None


def test_pages_extracted_before_the_cpu_limit_are_kept():
    data = pdf_pages(["Page one on kelp", "Page two on urchins", "Page three on otters"],
                     heavy=2)
    msg = read_message({"text": BODY, "attachments": [
        attachment("slow.pdf", "application/pdf", data)]}, cfg(EXTRACT_CPU_SECONDS=2))
    part = msg.parts[1]
    assert part.error == "CPU limit of 2 s reached (pages 1–3 kept)"
    assert part.raw_text.split("\n\n") == ["Page one on kelp", "Page two on urchins",
                                          "Page three on otters"]
    assert part.metadata["extraction"]["cpu_seconds"] > 1.9  # the kernel counts in ticks


def test_wall_clock_and_the_message_deadline_stop_extraction():
    slow = pdf_pages(["First page", "Second page", "Third page"], heavy=3)
    atts = [attachment("slow.pdf", "application/pdf", slow),
            attachment("late.pdf", "application/pdf", pdf_pages(["Never read"]))]
    started = time.monotonic()
    msg = read_message({"text": BODY, "attachments": atts}, cfg(JOB_TIMEOUT_SECONDS=4))
    assert time.monotonic() - started < 4
    assert msg.parts[1].error == "extraction timed out after 2 s (pages 1–3 kept)"
    assert msg.parts[2].error == "not read: the message's 2 s for extraction were spent"
    assert "Third page" in msg.text and "Never read" not in msg.text


def test_attachments_over_the_count_are_listed_with_the_reason_then_only_counted():
    atts = [attachment(f"n{i}.txt", "text/plain", f"note {i}".encode()) for i in range(25)]
    parts, _ = payload_attachments(atts)
    assert [p.raw_text for p in parts[:20]] == [f"note {i}" for i in range(20)]
    assert all(p.error == "over 20 attachments: skipped" and not p.data for p in parts[20:])
    flood = [{"file_name": "x.txt", "content_type": "text/plain", "content": ""}] * 1000
    parts, _ = payload_attachments(flood, Limits.from_config(cfg()).start())
    assert len(parts) == 40 and parts[-1].error == \
        "over 20 attachments: skipped (and 960 more)"


def test_an_oversized_attachment_is_refused_before_its_base64_is_decoded():
    huge = {"file_name": "big.pdf", "content_type": "application/pdf",
            "content": "!" * (2 * 1024 * 1024)}  # not even base64: decoding would say so
    msg = read_message({"text": BODY, "attachments": [huge]},
                       cfg(INGEST_MAX_ATTACHMENT_BYTES=1024 * 1024))
    assert msg.parts[1].error == "attachment over 1 MB: not read"
    assert msg.parts[1].type == "pdf" and msg.parts[1].data is None


def test_pages_over_the_page_limit_are_not_read():
    data = pdf_pages([f"Chapter {i}" for i in range(1, 6)])
    msg = read_message({"attachments": [attachment("book.pdf", "application/pdf", data)]},
                       cfg(INGEST_MAX_PDF_PAGES=3))
    part = msg.parts[1]
    assert part.raw_text.split("\n\n") == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert part.error == "over 3 pages: pages 4–5 not read"


def test_a_huge_html_body_is_read_in_the_child_and_cut_at_the_part_limit():
    para = "<p>Kelp forests shelter <b>fish</b> and otters along the coast.</p>\n"
    html = f"<html><head><title>Weekly digest</title></head><body>{para * 20_000}</body></html>"
    assert len(html) > 1024 * 1024
    msg = read_message({"text": "View in your browser.", "html": html},
                       cfg(INGEST_MAX_PART_CHARS=100_000))
    body = msg.parts[0]
    assert body.content_type == "text/html"
    assert body.raw_text.startswith("Weekly digest\n\nKelp forests")
    assert len(body.raw_text) <= 100_000 and body.error == "over 100,000 characters: truncated"


def test_html_that_exhausts_the_memory_limit_leaves_the_plain_body():
    html = "<p>" + "<i>x</i>" * 1_000_000 + "</p>"
    msg = read_message({"text": BODY, "html": html}, cfg(EXTRACT_MEMORY_MB=128))
    assert msg.parts[0].raw_text == BODY.strip()
    assert msg.parts[0].error == "HTML alternative: memory limit reached"


def test_large_html_in_the_child_reads_as_small_html_here():
    html = "<html><head><title>T</title><style>p{}</style></head><body>" + \
        "<p>One <b>two</b> three</p><script>x()</script>" * 8000 + "</body></html>"
    assert html_text(html) == (html_to_text(html), None)


def test_the_message_character_budget_spans_its_parts():
    atts = [attachment("a.txt", "text/plain", b"w" * 4000),
            attachment("b.txt", "text/plain", b"more")]
    msg = read_message({"text": "x" * 3000, "attachments": atts},
                       cfg(INGEST_MAX_MESSAGE_CHARS=5000))
    assert len(msg.parts[1].raw_text) == 2000
    assert msg.parts[1].error == "message over 5,000 characters: truncated"
    assert msg.parts[2].raw_text == "" and msg.parts[2].data == b"more"
    assert msg.parts[2].error == "message over 5,000 characters: not read"


def test_odd_attachment_fields_are_tolerated_per_part():
    atts = [{"file_name": 42, "content_type": 7, "content": None},
            {"file_name": "a\x00b.txt", "content_type": "text/plain\x00", "content": "aGk="},
            {"file_name": ["x"], "content_type": None, "content": ["not", "text"]},
            {"file_name": "n.pdf", "content_type": {"a": 1}, "content": 12},
            "not an object", None, 5,
            {"file_name": "bad.txt", "content_type": "text/plain", "content": "%%%"}]
    msg = read_message({"text": BODY, "attachments": atts})
    named = {p.name: p for p in msg.parts[1:]}
    assert named["ab.txt"].raw_text == "hi" and named["ab.txt"].content_type == "text/plain"
    assert named["n.pdf"].error == "attachment content is not valid base64"
    assert "42" in msg.skipped and "attachment-3" in msg.skipped
    assert named["bad.txt"].raw_text == "" and msg.text.startswith("Tidal")
    assert label("x\x00\ny") == "xy" and label(True) == "" and label(3.5) == "3.5"


def test_spans_read_like_page_ranges():
    assert spans([1, 2, 3, 5, 7, 8]) == "1–3, 5, 7–8" and spans([4]) == "4"
