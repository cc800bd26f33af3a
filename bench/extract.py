"""Bounded extraction (docs/limits.md): what the sandbox costs on normal parts, and what it
saves on a PDF bomb.

Baselines, measured in the same run on the same input: pypdf and bs4 called in this
process with no limits. The ratio of the bounded path to them is its overhead (the child's
start-up, the pipe, JSON). The bomb has issue #10's shape (four pages sharing one deflate
stream of 70 M characters, ~70 KB): its wall time and the child's peak RSS through the
sandbox, against unbounded pypdf on one of its pages in a separate process.

    python -m bench extract          # BENCH_EXTRACT_RUNS=15
"""
import io
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

from bench.stats import save
from tests.hostile_pdfs import pdf_bomb, raw_pdf

RUNS = int(os.environ.get("BENCH_EXTRACT_RUNS", "15"))
UNBOUNDED = """import io, sys
from pypdf import PdfReader
PdfReader(io.BytesIO(sys.stdin.buffer.read()), strict=False).pages[0].extract_text()"""
PARAGRAPH = ("Tidal turbines in the Pentland Firth turn slowly and predictably with the tides; "
             "the array fed fifty gigawatt hours into the grid last year. ")


def normal_pdf(pages):
    from fpdf import FPDF
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for _ in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, PARAGRAPH * 20)  # ~3,000 characters a page
    return bytes(pdf.output())


def newsletter(kb):
    item = (f"<tr><td><h2>Tidal news</h2><p>{PARAGRAPH}<a href='https://example.com/t?u=1'>"
            "Read more</a></p></td></tr>\n")
    return f"<html><head><title>Digest</title><style>td{{}}</style></head><body><table>" \
        f"{item * (kb * 1024 // len(item))}</table></body></html>"


def median_ms(fn, runs=RUNS):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def in_process_pdf(data):
    from pypdf import PdfReader
    return "\n\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def in_child(html):
    """The child's path for HTML of any size: where HTML_IN_PROCESS should sit."""
    from app.ingest import sandbox
    from app.ingest.extract import default_limits
    return sandbox.run("html", html.encode(), default_limits())


def compare(name, bounded, baseline):
    base_ms, ms = median_ms(baseline), median_ms(bounded)
    return {"case": name, "baseline_ms": round(base_ms, 1), "bounded_ms": round(ms, 1),
            "ratio": round(ms / base_ms, 2)}


def unbounded_bomb_page(data, timeout=120):
    """(seconds, peak RSS MB, finished) of plain pypdf on one page of the bomb, in a process
    of its own (os.wait4 gives that process's peak; the timer stops it at `timeout`)."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", UNBOUNDED], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    timer = threading.Timer(timeout, os.kill, (proc.pid, signal.SIGKILL))
    timer.start()
    proc.stdin.write(data)
    proc.stdin.close()
    proc.stdout.read()  # end of file when the child ends
    timer.cancel()
    timer.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    return time.monotonic() - started, usage.ru_maxrss / 1024, proc.returncode == 0


def bombs():
    """#10's shape, and a variant within pypdf's output limits: 3 M tiny text operators
    (~30 KB), which costs pypdf seconds and ~330 MB per page to refuse by its token budget."""
    tokens = b"BT /F1 12 Tf 72 720 Td " + b"(A) Tj\n" * 3_000_000 + b"ET"
    return {"deflate": pdf_bomb(), "tokens": raw_pdf([tokens], [0] * 4)}


def bounded_bomb(name, data):
    from app.ingest.extract import default_limits, read_pdf
    started = time.monotonic()
    _, error, meta = read_pdf(data, default_limits())
    return {"bomb": name, "bytes": len(data), "seconds": round(time.monotonic() - started, 2),
            "child_peak_rss_mb": meta["extraction"]["peak_rss_mb"], "error": error}


def main():
    from app.ingest.extract import default_limits, html_text, html_to_text, read_pdf
    pdf1, pdf10 = normal_pdf(1), normal_pdf(10)
    small, edge, large = newsletter(60), newsletter(256), newsletter(1024)
    cases = [
        compare("PDF, 1 page", lambda: read_pdf(pdf1, default_limits()),
                lambda: in_process_pdf(pdf1)),
        compare("PDF, 10 pages", lambda: read_pdf(pdf10, default_limits()),
                lambda: in_process_pdf(pdf10)),
        compare("HTML 60 KB (in process)", lambda: html_text(small), lambda: html_to_text(small)),
        compare("HTML 256 KB (child)", lambda: in_child(edge), lambda: html_to_text(edge)),
        compare("HTML 1 MB (child)", lambda: html_text(large), lambda: html_to_text(large)),
    ]
    found = [bounded_bomb(name, data) for name, data in bombs().items()]
    ref_seconds, ref_mb, ref_done = unbounded_bomb_page(pdf_bomb())
    result = {"cases": cases, "bombs": found, "unbounded_deflate_one_page": {
        "seconds": round(ref_seconds, 1), "peak_rss_mb": round(ref_mb), "finished": ref_done}}
    _print(result)
    save("extract", result)
    return result


def _print(r):
    print(f"{'case':<26}{'in-process ms':>14}{'bounded ms':>12}{'ratio':>8}")
    for c in r["cases"]:
        print(f"{c['case']:<26}{c['baseline_ms']:>14}{c['bounded_ms']:>12}{c['ratio']:>8}")
    for b in r["bombs"]:
        print(f"bomb {b['bomb']:<8} {b['bytes']:>7,} bytes, 4 pages: {b['seconds']:>5} s, "
              f"child peak RSS {b['child_peak_rss_mb']} MB\n  {b['error']}")
    u = r["unbounded_deflate_one_page"]
    print(f"unbounded pypdf, ONE page of the deflate bomb: {u['seconds']} s, peak RSS "
          f"{u['peak_rss_mb']} MB{'' if u['finished'] else ' (killed: did not finish)'}")


if __name__ == "__main__":
    main()
