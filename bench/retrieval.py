"""Retrieval quality on real email, per query family (bench/queries.py: `subject`, `body`,
`paraphrase`) and over all their queries together. MRR@10 and Recall@10 over articles,
from one page of 10 results (one chunk per article), side by side in one run:

- the app's search in each mode, through `app.search.run` (the path the API takes, with
  the query embedded once): hybrid with the configured fusion (the default), vector only,
  full-text only; a change to the fusion shows up here;
- naive RRF (k = 60) of the vector and full-text rankings;
- SQLite FTS5 bm25() over the same article texts (bench/fts5.py), built in this run;
- a ceiling that is not a system: per query, the better of vector and full-text.

Each system's MRR@10 is also given as a ratio to the better single retriever of that
family (max of vector, full-text) and to FTS5. BENCH_EMAILS sets the corpus size."""
import dataclasses

from flask import current_app

from app.models import Article, Chunk
from app.providers import get_embedder
from app.search import parse, run
from bench import queries
from bench.corpus import bench_app, ingest
from bench.fts5 import Fts5
from bench.stats import save

K = 10
RRF_K = 60
HYBRID, VECTOR, FULL_TEXT = "hybrid (default)", "vector", "full-text"
MODES = {HYBRID: "hybrid", VECTOR: "vector", FULL_TEXT: "lexical"}
RRF = "naive RRF (k=60)"
FTS5 = "SQLite FTS5 bm25()"
# Not a system: per query, the better of the two single retrievers' reciprocal ranks, i.e.
# a perfect switch between their rankings. A fusion beats it only where mixing the two
# lists ranks a relevant email above where either list had it.
ORACLE = "ceiling: better of vector/full-text"
SYSTEMS = (*MODES, RRF, FTS5, ORACLE)
ALL = "all"


def emails(user_id):
    """The user's articles as bench.queries.Email, by id (the text is what was indexed)."""
    rows = Article.owned(user_id).select(Article.id, Article.title, Article.content_text)
    return [queries.Email(a.id, a.title, a.content_text) for a in rows.order_by(Article.id)]


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
    """(reciprocal rank of the first relevant article in the top K, share of relevant there)."""
    top = ranked[:K]
    first = next((i for i, a in enumerate(top, 1) if a in relevant), None)
    return (1 / first if first else 0.0), len(relevant & set(top)) / len(relevant)


def rankings(cfg, user_id, query, vector, fts):
    """{system: ranked article ids} for one parsed, embedded query."""
    ranked = {name: articles(run(cfg, user_id, query, vector, mode, limit=K))
              for name, mode in MODES.items()}
    ranked[RRF] = rrf(ranked[VECTOR], ranked[FULL_TEXT])
    ranked[FTS5] = fts.search(query.terms, K)
    return ranked


def score(cfg, user_id, cases, fts):
    """{family: {system: [(rr, recall) per query]}} (plus ALL: every query once)."""
    parsed = [parse(c.text) for c in cases]
    vectors = get_embedder(cfg).embed([q.text for q in parsed])  # batched: one call
    out = {}
    for case, query, vector in zip(cases, parsed, vectors, strict=True):
        ranked = rankings(cfg, user_id, query, vector, fts)
        per = {name: metrics(ranking, case.relevant) for name, ranking in ranked.items()}
        per[ORACLE] = max(per[VECTOR], per[FULL_TEXT])
        for family in (case.family, ALL):
            for name, pair in per.items():
                out.setdefault(family, {}).setdefault(name, []).append(pair)
    return out


def summarise(scores):
    """{family: {"queries": n, "systems": {system: figures and MRR ratios}}}."""
    table = {}
    for family, systems in scores.items():
        means = {name: [sum(col) / len(pairs) for col in zip(*pairs, strict=True)]
                 for name, pairs in systems.items()}
        best = max(means[VECTOR][0], means[FULL_TEXT][0])
        table[family] = {"queries": len(systems[HYBRID]), "systems": {
            name: {"mrr@10": round(mrr, 4), "recall@10": round(recall, 4),
                   "mrr_vs_best_single": _ratio(mrr, best),
                   "mrr_vs_fts5": _ratio(mrr, means[FTS5][0])}
            for name, (mrr, recall) in means.items()}}
    return table


def _ratio(a, b):
    return round(a / b, 3) if b else None


def evaluate(user_id, log=print):
    """The summarised table for every family's queries over the user's articles."""
    cfg = dataclasses.replace(current_app.extensions["simplr.config"], SEARCH_PER_ARTICLE=1)
    corpus = queries.Corpus(emails(user_id))
    cases = queries.build(corpus)
    log(f"  {len(cases)} queries from {len(corpus.emails)} emails; searching")
    fts = Fts5(corpus.emails)
    try:
        return summarise(score(cfg, user_id, cases, fts))
    finally:
        fts.close()


def report(table, corpus, log=print):
    """Print one block per family: systems, their figures, their ratios."""
    log(f"\nRetrieval quality over {corpus['articles']} emails ({corpus['chunks']} chunks),"
        f" one page of {K} (one chunk per article); fusion {corpus['fusion']}")
    log(f"{'family (queries)':17} {'system':37} {'MRR@10':>7} {'Recall@10':>9}"
        f" {'MRR/best single':>15} {'MRR/FTS5':>8}")
    for family, block in table.items():
        label = f"{family} ({block['queries']})"
        for name in SYSTEMS:
            m = block["systems"][name]
            log(f"{label:17} {name:37} {m['mrr@10']:7.3f} {m['recall@10']:9.3f}"
                f" {_fmt(m['mrr_vs_best_single']):>15} {_fmt(m['mrr_vs_fts5']):>8}")
            label = ""


def _fmt(ratio):
    return "-" if ratio is None else f"{ratio:.2f}x"


def main(log=print):
    with bench_app() as app:
        user_id = ingest(log=log)
        table = evaluate(user_id, log)
        table = {f: table[f] for f in [*queries.FAMILIES, ALL] if f in table}
        corpus = {"articles": Article.owned(user_id).count(),
                  "chunks": Chunk.select().where(Chunk.user_id == user_id).count(),
                  "fusion": app.extensions["simplr.config"].SEARCH_FUSION, "seed": queries.SEED}
    report(table, corpus, log)
    save("retrieval", {"corpus": corpus, "families": table})
    return table
