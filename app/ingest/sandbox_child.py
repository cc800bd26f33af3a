"""The extractor child: reads one untrusted part (a PDF or an HTML document) and writes its
text as JSON lines, inside limits it sets on itself before reading a byte of input.

Run by app.ingest.sandbox as `python -I sandbox_child.py <kind> <settings json>` with the
part's bytes on stdin. It imports the standard library, pypdf and bs4 and nothing of the
app: a fresh interpreter starts in ~0.1 s, holds no secrets, and its address space (what
RLIMIT_AS counts) is ~60 MB before the input, instead of the worker's ~1 GB of mapped
onnxruntime. Output, one JSON object per line, flushed as soon as it is known:

    {"pages": 4}                               PDFs: the page count, first
    {"page": 1, "text": "...", "error": null}  one per page, as each finishes
    {"title": "...", "text": "..."}            HTML
    {"truncated": true}                        the character cap was reached
    {"fatal": "..."}                           the part could not be read at all
    {"done": true}                             the end; its absence means the child died
Each also carries "peak_rss_mb", the child's peak resident memory so far.

Out of memory outside a page, it exits with status MEMORY_EXIT: reporting in JSON would
need memory that the failed document, still referenced from the traceback, holds.
"""
import gc
import io
import json
import os
import resource
import sys

# pypdf parses a content stream into objects at ~12 bytes of memory per decoded byte
# (measured: a 70 MB stream peaked at 874 MB), so a stream over 1/16 of the address space
# cannot be parsed within it: refuse it while decompressing, in milliseconds, instead of
# failing with MemoryError seconds later.
STREAM_SHARE = 16
MEMORY_EXIT = 3


class _Full(BaseException):
    """Raised by the text visitor at the page's character cap. A BaseException because
    pypdf catches Exception around form XObjects and would carry on past it."""


def limit_self(memory_mb, cpu_seconds):
    """Bound this process: address space, CPU seconds (SIGXCPU, then SIGKILL one second
    later) and no core file, which SIGXCPU would otherwise write."""
    size = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def peak_rss_mb():
    """This process's peak RSS since exec (VmHWM). Not ru_maxrss: Linux carries the peak of
    the process image before exec, i.e. the parent's RSS when it spawned this one, into it."""
    with open("/proc/self/status", "rb") as fh:
        for line in fh:
            if line.startswith(b"VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def emit(obj):
    obj["peak_rss_mb"] = peak_rss_mb()
    line = json.dumps(obj, ensure_ascii=False) + "\n"
    sys.stdout.buffer.write(line.encode("utf-8", "replace"))  # lone surrogates from pypdf
    sys.stdout.buffer.flush()


def html_fragments(html):
    """(title, text) of an HTML document, not yet cleaned: scripts, styles and the head
    dropped, a line break after each block. Shared with the in-process path."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html or "", "html.parser")
    title = soup.title.get_text(" ") if soup.title else ""
    for tag in soup(["script", "style", "head", "noscript", "template", "svg"]):
        tag.decompose()
    for br in soup.find_all(["br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4"]):
        br.append("\n")
    return title, soup.get_text(" ")


class _Capped:
    """Visitors that stop pypdf's extract_text at `cap` characters. pypdf builds a page's
    text by concatenation (quadratic in its length) and hands it to visitor_text only at
    block ends, so the bytes of shown strings are counted too (twice the cap: a CJK glyph
    is two bytes): a page that would never end stops, and keeps what was flushed."""
    SHOW = (b"Tj", b"TJ", b"'", b'"')

    def __init__(self, cap):
        self.cap, self.pieces, self.size, self.shown = cap, [], 0, 0

    def before(self, operator, operands, *_):
        if operator in self.SHOW:
            self.shown += sum(len(s) for s in _strings(operands))
            if self.shown > 2 * self.cap:
                raise _Full

    def text(self, text, *_):
        self.pieces.append(text)
        self.size += len(text)
        if self.size > self.cap:
            raise _Full


def _strings(operands):
    for operand in operands:
        if isinstance(operand, list):  # TJ: strings and kerning numbers
            yield from (o for o in operand if isinstance(o, str | bytes))
        elif isinstance(operand, str | bytes):
            yield operand


def page_text(page, cap):
    """(text, full): the page's text, cut at `cap` characters."""
    capped = _Capped(cap)
    try:
        text = page.extract_text(visitor_operand_before=capped.before,
                                 visitor_text=capped.text)
    except _Full:
        return "".join(capped.pieces)[:cap], True
    return text[:cap], len(text) > cap


def configure_pypdf(memory_mb):
    """pypdf 7.1's own limits (pypdf.Configuration), sized to the address space."""
    import pypdf
    most = memory_mb * 1024 * 1024 // STREAM_SHARE
    pypdf.overwrite_configuration(
        disable_legacy_handling=True, jbig2dec_binary=None,  # no external decoder
        zlib_maximum_output_length=most, lzw_maximum_output_length=most,
        run_length_maximum_output_length=most, brotli_maximum_output_length=most,
        jbig2_maximum_output_length=most, array_based_stream_maximum_output_length=most,
        stream_decoding_work_maximum_length=2 * most)


def read_page(page, cap):
    """(text, full, error) of one page; a failure is the page's, not the document's."""
    try:
        return (*page_text(page, cap), None)
    except MemoryError:
        pass  # below: once the traceback has let go of the page's objects
    except Exception as exc:  # pypdf raises many types on damaged pages
        return "", False, f"{type(exc).__name__}: {exc}"[:300]
    gc.collect()  # pypdf's objects form cycles: free them before the next page
    return "", False, "memory limit reached"


def _ref(obj):
    if hasattr(obj, "idnum"):
        return obj.idnum, obj.generation
    return tuple(_ref(o) for o in obj) if isinstance(obj, list) else id(obj)


def shared_key(page):
    """The page's content streams. Bombs give many pages one expensive stream (and their
    own resources, which is why those are not part of the key): a page whose streams were
    seen reuses that page's result instead of paying again."""
    contents = dict.get(page, "/Contents")  # dict.get: the reference, not the object
    return None if contents is None else _ref(contents)


def open_pdf(data):
    """(pages, count), or None after saying why the PDF cannot be read."""
    from pypdf import PdfReader
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return emit({"fatal": "encrypted PDF: a password is required"})
        return reader.pages, len(reader.pages)
    except Exception as exc:  # pypdf raises many types on damaged files
        return emit({"fatal": f"could not read PDF: {type(exc).__name__}: {exc}"[:500]})


def one_page(pages, index, cap, seen):
    """(text, full, error) of page `index`, reused when its streams were read before."""
    try:
        page = pages[index]  # pypdf resolves the page tree lazily: this can fail too
        key = shared_key(page)
    except Exception as exc:
        return "", False, f"{type(exc).__name__}: {exc}"[:300]
    if key is None or key not in seen:
        seen[key] = read_page(page, cap)
    text, full, error = seen[key]
    if full and not text[:cap]:  # pypdf had not flushed any of it yet
        error = error or "too much text in one block: not kept"
    return text[:cap], full, error


def pdf(data, settings):
    configure_pypdf(settings["memory_mb"])
    opened = open_pdf(data)
    if opened is None:
        return
    pages, count = opened
    emit({"pages": count})
    left, seen, last = settings["max_chars"], {}, min(count, settings["max_pages"])
    for index in range(last):
        text, full, error = one_page(pages, index, left, seen)
        emit({"page": index + 1, "text": text, "error": error})
        left -= len(text)
        if full or (left <= 0 and index + 1 < last):
            return emit({"truncated": True})


def html(data, settings):
    title, text = html_fragments(data.decode("utf-8", "replace"))
    cap = settings["max_chars"]
    emit({"title": title[:1000], "text": text[:cap]})
    if len(text) > cap:
        emit({"truncated": True})


def main(argv):
    kind, settings = argv[1], json.loads(argv[2])
    limit_self(settings["memory_mb"], settings["cpu_seconds"])
    data = sys.stdin.buffer.read()
    {"pdf": pdf, "html": html}[kind](data, settings)
    emit({"done": True})


if __name__ == "__main__":
    try:
        main(sys.argv)
    except MemoryError:
        os._exit(MEMORY_EXIT)  # no flush needed: every line was flushed when written
    except BrokenPipeError:  # the parent stopped listening (killed, or had enough)
        sys.exit(1)
