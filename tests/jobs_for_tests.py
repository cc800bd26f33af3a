"""Jobs that only tests enqueue. They live in an importable module because a real worker
process (`python -m app worker`, started from the repository root) imports them by name."""
import time


def sleep_for(seconds):
    """Keep a worker busy, as a slow ingest would."""
    time.sleep(seconds)
    return seconds
