"""Retrieval quality on real email: each email's subject is a query whose answer is that
email (or every email with the same subject). MRR@10 and Recall@10 over articles, for
vector-only, full-text-only, naive RRF and the hybrid fusions, side by side in one run."""
import dataclasses

from flask import current_app

from app.models import Article
from app.providers import get_embedder
from app.search import Query, parse, run
from bench.corpus import bench_app, ingest
from bench.stats import save

K = 10
RRF_K = 60
FULL_TEXT = "full-text (idf, rarest terms)"
RRF = "naive RRF (vector + full-text)"
# Not a system: per query, the better of the two single retrievers' reciprocal ranks, i.e.
# a perfect switch between their rankings. A fusion beats it only where mixing the two
# lists ranks a relevant email above where either list had it (worth about +0.01 here).
ORACLE = "ceiling: better of vector/full-text"
SYSTEMS = {  # name: (mode, config overrides)
    "vector": ("vector", {}),
    FULL_TEXT: ("lexical", {}),
    "hybrid (idf / best candidate)": ("hybrid", {"SEARCH_FUSION": "normalised"}),
    "hybrid (idf / query's idf)": ("hybrid", {"SEARCH_FUSION": "coverage"}),
}


def queries(user_id, min_terms=2):
    """{subject: set of article ids with that subject}, for subjects with real words."""
    out = {}
    for a in Article.owned(user_id).select(Article.id, Article.title):
        title = " ".join(a.title.split())
        if len(parse(title).terms) >= min_terms and not title.startswith("("):
            out.setdefault(title.lower(), set()).add(a.id)
    return out


def articles(results):
    """Result chunks → distinct article ids in rank order."""
    return list(dict.fromkeys(r["article_id"] for r in results))


def rrf(*rankings):
    scores = {}
    for ranking in rankings:
        for rank, article in enumerate(ranking, 1):
            scores[article] = scores.get(article, 0) + 1 / (RRF_K + rank)
    return sorted(scores, key=lambda a: -scores[a])


def metrics(ranked, relevant):
    top = ranked[:K]
    first = next((i for i, a in enumerate(top, 1) if a in relevant), None)
    return (1 / first if first else 0.0), len(relevant & set(top)) / len(relevant)


def evaluate(user_id, log=print):
    cfg = dataclasses.replace(current_app.extensions["simplr.config"], SEARCH_PER_ARTICLE=1)
    qs = queries(user_id)
    totals = {name: [0.0, 0.0] for name in [*SYSTEMS, RRF, ORACLE]}
    embedder = get_embedder(cfg)
    for text, relevant in qs.items():
        query = parse(text)
        vector = embedder.embed([query.text])[0]
        ranked = {name: articles(run(dataclasses.replace(cfg, **over), user_id, query,
                                     vector, mode, limit=K))
                  for name, (mode, over) in SYSTEMS.items()}
        ranked[RRF] = rrf(ranked["vector"], ranked[FULL_TEXT])
        scores = {name: metrics(ranking, relevant) for name, ranking in ranked.items()}
        scores[ORACLE] = max(scores["vector"], scores[FULL_TEXT])
        for name, (mrr, recall) in scores.items():
            totals[name][0] += mrr
            totals[name][1] += recall
    n = len(qs)
    return n, {name: {"mrr@10": round(m / n, 4), "recall@10": round(r / n, 4)}
               for name, (m, r) in totals.items()}


def main(log=print):
    with bench_app() as app:
        user_id = ingest(log=log)
        n, table = evaluate(user_id, log)
        corpus = {"articles": Article.owned(user_id).count(), "queries": n,
                  "chunks": app.extensions["simplr.config"] and _chunks(user_id)}
    log(f"\nRetrieval quality: {corpus['queries']} subject queries over "
        f"{corpus['articles']} emails ({corpus['chunks']} chunks)")
    log(f"{'system':36} {'MRR@10':>8} {'Recall@10':>10}")
    for name, m in table.items():
        log(f"{name:36} {m['mrr@10']:8.3f} {m['recall@10']:10.3f}")
    best = max(table[n]["mrr@10"] for n in ("vector", FULL_TEXT))
    default = current_default(table)
    log(f"default hybrid / best single retriever: {default / best:.2f}x")
    save("retrieval", {"corpus": corpus, "systems": table})
    return table


def current_default(table):
    from app.config import load
    fusion = load().SEARCH_FUSION
    name = next(n for n, (_, over) in SYSTEMS.items() if over.get("SEARCH_FUSION") == fusion)
    return table[name]["mrr@10"]


def _chunks(user_id):
    from app.models import Chunk
    return Chunk.select().where(Chunk.user_id == user_id).count()


__all__ = ["Query", "main"]
