"""Small shared helpers: percentiles, timing, and writing results to bench/results/."""
import json
import os
import time

RESULTS = os.path.join(os.path.dirname(__file__), "results")


def percentile(values, p):
    """The p-th percentile (nearest rank) of `values`."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))] if s else float("nan")


def timed(fn, *args, **kwargs):
    """(result, milliseconds) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


def save(name, data):
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{name}.json")
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2, default=str)
    return path
