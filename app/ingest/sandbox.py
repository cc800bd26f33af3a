"""Extraction of untrusted formats in a child that can be bounded and killed.

The child (sandbox_child.py) is a fresh interpreter, not a fork of the RQ work horse: the
horse has onnxruntime mapped, and RLIMIT_AS counts virtual size. It sets its own address
space and CPU limits before it reads the input (a preexec_fn would do the same from a
forked copy of this possibly threaded process, which is unsafe, and would stop subprocess
from using vfork). This side enforces the wall clock, reads at most `cap` characters, and
keeps every page that arrived before the child ended, however it ended.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from app.ingest.limits import spans
from app.ingest.sandbox_child import MEMORY_EXIT

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_child.py")
# No environment: the child has nothing of the worker's (DATABASE_URL, API keys) to leak.
CHILD_ENV = {"LC_ALL": "C.UTF-8"}
ESCAPED = 6  # bytes a character may take in the child's JSON (\u001f)


@dataclass
class Outcome:
    """What the child sent, and how it ended."""
    pages: int | None = None  # a PDF's page count
    texts: list = field(default_factory=list)  # [(page, text)]; page 0 for HTML
    errors: list = field(default_factory=list)  # [(page, reason)]
    title: str = ""
    truncated: bool = False
    fatal: str | None = None  # the child could not read the part at all
    ended: str | None = None  # the child was stopped before its end
    done: bool = False
    stats: dict = field(default_factory=dict)

    @property
    def chars(self):
        return sum(len(t) for _, t in self.texts)

    def error(self, limits):
        """The part's `error`: every reason it is incomplete, or None."""
        notes = [self.fatal] if self.fatal else []
        if self.ended:
            kept = [p for p, _ in self.texts if p]
            notes.append(self.ended + (f" (pages {spans(kept)} kept)" if kept else ""))
        by_reason = {}
        for page, reason in self.errors:
            by_reason.setdefault(reason, []).append(page)
        notes += [f"page{'s' * (len(p) > 1)} {spans(p)}: {r}" for r, p in by_reason.items()]
        if self.pages and self.pages > limits.pdf_pages:
            notes.append(f"over {limits.pdf_pages} pages: pages "
                         f"{limits.pdf_pages + 1}–{self.pages} not read")
        if self.truncated:
            notes.append(f"{limits.over()}: truncated")
        return "; ".join(notes)[:2000] or None


def run(kind, data, limits):
    """Extract `data` ("pdf" or "html" bytes) in a child bounded by `limits`."""
    wall, out = limits.wall(), Outcome()
    if wall < 1:
        out.ended = f"not read: the message's {limits.extract_seconds:g} s for extraction " \
                    "were spent"
        return out
    started, proc = time.monotonic(), _spawn(kind, limits)
    timed_out = threading.Event()
    timer = threading.Timer(wall, lambda: (timed_out.set(), _kill(proc.pid)))
    timer.start()
    try:
        _feed(proc.stdin, data)
        _collect(proc.stdout, out, limits.cap)
    finally:  # also when the job's own timeout interrupts us: the child must not outlive it
        timer.cancel()
        timer.join()  # before the wait below: a late kill must never hit a reused pid
        status, usage = _reap(proc)
    out.stats.update(seconds=round(time.monotonic() - started, 3),
                     cpu_seconds=round(usage.ru_utime + usage.ru_stime, 3))
    if not (out.done or out.ended or out.truncated):
        out.ended = _ending(status, timed_out.is_set(), wall, limits, usage)
    return out


def _spawn(kind, limits):
    settings = {"memory_mb": limits.memory_mb, "cpu_seconds": limits.cpu_seconds,
                "max_chars": limits.cap, "max_pages": limits.pdf_pages}
    return subprocess.Popen([sys.executable, "-I", CHILD, kind, json.dumps(settings)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=CHILD_ENV)


def _feed(stdin, data):
    try:
        stdin.write(data)
        stdin.close()
    except OSError:  # BrokenPipeError: the child died early; its status says why
        pass


def _collect(stdout, out, cap):
    """Read the child's lines, never more than `cap` characters of text in all."""
    while line := stdout.readline(ESCAPED * cap + 16384):  # + a title, an error, the keys
        try:
            message = json.loads(line) if line.endswith(b"\n") else None
        except ValueError:
            message = None
        try:
            _take(message, out, cap)
        except (AttributeError, TypeError, ValueError):  # not our protocol: a broken child
            out.ended = "extractor sent malformed output"
            return
        if out.truncated and not out.done:  # enough: the rest is not read, the child killed
            return


def _take(message, out, cap):
    text, room = str(message.get("text") or ""), cap - out.chars
    if len(text) > room:  # the child cuts at the cap too; this side does not rely on it
        text, out.truncated = text[:room], True
    if "page" in message:
        out.texts.append((int(message["page"]), text))
        if message.get("error"):
            out.errors.append((int(message["page"]), str(message["error"])[:300]))
    elif "text" in message:
        out.texts.append((0, text))
        out.title = str(message.get("title") or "")[:1000]
    out.pages = int(message["pages"]) if "pages" in message else out.pages
    out.truncated = out.truncated or bool(message.get("truncated"))
    out.fatal = str(message["fatal"])[:500] if message.get("fatal") else out.fatal
    out.done = out.done or bool(message.get("done"))
    peak = float(message.get("peak_rss_mb") or 0)  # as last reported: RLIMIT_AS bounds the rest
    out.stats["peak_rss_mb"] = max(peak, out.stats.get("peak_rss_mb", 0))


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(proc):
    """Kill (if still running) and wait for the child with os.wait4, for its own CPU time;
    Popen.poll would reap it first and lose it."""
    _kill(proc.pid)  # the pid is still ours: nobody has waited for it yet
    proc.stdout.close()
    if not proc.stdin.closed:
        try:
            proc.stdin.close()
        except OSError:
            pass
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return status, usage


def _ending(status, timed_out, wall, limits, usage):
    """Why a child that never said `done` ended."""
    if timed_out:
        return f"extraction timed out after {wall:.0f} s"
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    cpu = usage.ru_utime + usage.ru_stime
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= limits.cpu_seconds):
        return f"CPU limit of {limits.cpu_seconds} s reached"
    if sig is not None:
        return f"extractor killed by {signal.Signals(sig).name}"
    code = os.waitstatus_to_exitcode(status)
    return "memory limit reached" if code == MEMORY_EXIT else f"extractor exited with status {code}"
