"""Category accuracy on the hand-labelled emails of bench/data/categories.tsv: the local
embedding classifier (the category description nearest the mean of the email's chunk
vectors, as ingest classifies) and, when its server can start, the packaged local model
(llama.cpp, app.providers.openai_compat.classify), in one run."""
import csv
import dataclasses
from pathlib import Path

from app.models import Article, InboundEvent
from app.providers import get_provider
from bench.stats import save

LABELS = Path(__file__).parent / "data" / "categories.tsv"


def labelled():
    """[(provider message id, category)] of the labelled emails."""
    with LABELS.open() as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return [(r["email"], r["category"]) for r in rows]


def accuracy(cfg, name, log):
    provider, hits, misses = get_provider(cfg), 0, {}
    for email, truth in labelled():
        event = InboundEvent.get(InboundEvent.provider_message_id == email)
        article = Article.get(Article.event_id == event.id)
        vectors = [list(c.embedding) for c in article.chunks]  # as ingest classifies
        mean = [sum(col) / len(vectors) for col in zip(*vectors, strict=True)] if vectors \
            else None
        got = provider.classify(article.title, article.content_text, mean)
        hits += got == truth
        if got != truth:
            misses[f"{truth}->{got}"] = misses.get(f"{truth}->{got}", 0) + 1
    n = len(labelled())
    worst = sorted(misses.items(), key=lambda kv: -kv[1])[:4]
    log(f"  {name:<12} accuracy {hits / n:.0%} ({hits}/{n}); most confused: "
        + ", ".join(f"{k} ×{v}" for k, v in worst))
    return {"emails": n, "accuracy": round(hits / n, 3), "confusions": dict(worst)}


def main(log=print):
    from bench.answers import local_model
    from bench.corpus import bench_app, ingest
    out = {}
    with bench_app() as app:
        ingest(log=log)
        cfg = app.extensions["simplr.config"]
        out["embedding"] = accuracy(dataclasses.replace(cfg, LLM_PROVIDER="local"),
                                    "embedding", log)
        with local_model(cfg, log) as model:
            if model:
                out["local_model"] = accuracy(model, "local model", log)
    save("categories", out)
    return out
