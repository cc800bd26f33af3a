"""How much of one untrusted message ingestion reads (docs/limits.md), and the words that
say so on a part that hit a limit."""
import dataclasses
import time

from app.config import Config


@dataclasses.dataclass(frozen=True)
class Limits:
    attachments: int
    attachment_bytes: int  # decoded
    part_chars: int
    message_chars: int
    pdf_pages: int
    memory_mb: int  # address space of the extractor child
    cpu_seconds: int  # per part, in the child
    extract_seconds: float  # wall clock for all of a message's parts
    chars_left: int = 0  # of message_chars, as parts are read
    deadline: float | None = None  # time.monotonic() when extraction must stop

    @classmethod
    def from_config(cls, cfg=None):
        """The Config's limits; extraction may take half the job's timeout, so that a
        message whose every part runs to its limit still leaves time to embed and save."""
        cfg = cfg or Config()
        return cls(cfg.INGEST_MAX_ATTACHMENTS, cfg.INGEST_MAX_ATTACHMENT_BYTES,
                   cfg.INGEST_MAX_PART_CHARS, cfg.INGEST_MAX_MESSAGE_CHARS,
                   cfg.INGEST_MAX_PDF_PAGES, cfg.EXTRACT_MEMORY_MB, cfg.EXTRACT_CPU_SECONDS,
                   cfg.JOB_TIMEOUT_SECONDS / 2)

    def start(self):
        """A fresh budget for one message, its clock running from now."""
        return dataclasses.replace(self, chars_left=self.message_chars,
                                   deadline=time.monotonic() + self.extract_seconds)

    def spend(self, chars):
        return dataclasses.replace(self, chars_left=max(0, self.chars_left - chars))

    @property
    def cap(self):
        """Characters the next part may have."""
        return min(self.part_chars, self.chars_left)

    def over(self):
        """Why a part stopped at `cap` characters."""
        if self.chars_left < self.part_chars:
            return f"message over {self.message_chars:,} characters"
        return f"over {self.part_chars:,} characters"

    def wall(self):
        """Seconds one child may run: twice its CPU budget, so that a child starved on a busy
        host still ends, and never past the message's deadline."""
        left = self.deadline - time.monotonic() if self.deadline else self.extract_seconds
        return max(0.0, min(2.0 * self.cpu_seconds, left))


def megabytes(n):
    return f"{n / 2**20:g} MB"


def spans(numbers):
    """'1–3, 5' for [1, 2, 3, 5]."""
    out, start = [], None
    for i, n in enumerate(numbers):
        start = n if start is None else start
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(f"{start}–{n}" if n > start else str(n))
            start = None
    return ", ".join(out)
