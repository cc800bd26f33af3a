"""Search latency at 10k, 100k (and, with --1m, 1M) chunks: hybrid search against the
bare HNSW query on the same table in the same run. Chunks are synthesised from the real
corpus: each real chunk repeated with a small random perturbation of its embedding."""
import contextlib
import math
import os
import random

import numpy as np

from app.db import db, execute_prepared
from app.models import Chunk, User
from app.providers import get_embedder
from app.search import parse, run, sql
from bench.stats import percentile, save, timed
from tests.services import fresh_database

SIZES = (10_000, 100_000)
DB_NAME = os.environ.get("BENCH_LATENCY_DB", "simplr_bench_latency")
QUERIES = 200
# The baseline: the plain nearest-neighbour query, at the same HNSW search width as the
# hybrid statement's vector side (a wider search would be slower and a narrower one worse).
BARE = ("SET hnsw.ef_search = %s; SELECT id FROM chunks WHERE user_id = %s "
        "ORDER BY embedding <=> %s::vector LIMIT 10")


def seed_rows(source_url):
    """(article title, chunk idx, content, embedding text) of every real bench chunk."""
    import psycopg2
    # `with conn` only ends the transaction; closing() also closes the connection.
    with contextlib.closing(psycopg2.connect(source_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT a.id, a.title, c.idx, c.content, c.embedding::text FROM chunks c "
                    "JOIN articles a ON a.id = c.article_id ORDER BY c.id")
        return cur.fetchall()


def load_seed(rows, user_id):
    """Seed and noise tables in the latency database (once)."""
    db.execute_sql("CREATE TABLE IF NOT EXISTS bench_seed (i serial, a int, title text, "
                   "idx int, content text, embedding vector(384))")
    db.execute_sql("CREATE TABLE IF NOT EXISTS bench_noise (j int, v vector(384))")
    if db.execute_sql("SELECT count(*) FROM bench_seed").fetchone()[0]:
        return
    articles = {a: n for n, a in enumerate(dict.fromkeys(r[0] for r in rows))}
    with db.atomic():
        for a, title, idx, content, emb in rows:
            db.execute_sql("INSERT INTO bench_seed (a, title, idx, content, embedding) "
                           "VALUES (%s, %s, %s, %s, %s)", (articles[a], title, idx, content, emb))
        rng = np.random.default_rng(7)
        for j in range(997):
            noise = rng.normal(0, 0.01, 384)
            db.execute_sql("INSERT INTO bench_noise VALUES (%s, %s)",
                           (j, "[" + ",".join(f"{x:.5f}" for x in noise) + "]"))


def build(size, user_id, log, index_memory="3GB"):
    """Fill `chunks` with `size` synthetic rows, then (re)build the HNSW and GIN indexes
    (with `index_memory` of maintenance_work_mem)."""
    seeds = db.execute_sql("SELECT count(*), max(a) + 1 FROM bench_seed").fetchone()
    reps = math.ceil(size / seeds[0])
    db.execute_sql("DROP INDEX IF EXISTS chunks_embedding_hnsw; DROP INDEX IF EXISTS "
                   "chunks_tsv_gin; TRUNCATE articles, chunks RESTART IDENTITY CASCADE")
    # Each article carries its chunks' text, as ingest writes it: the article fusion ranks
    # whole emails by their own tsvector.
    db.execute_sql("INSERT INTO articles (id, user_id, title, content_text) "
                   "SELECT r * %s + a + 1, %s, min(title), string_agg(content, ' ' ORDER BY idx) "
                   "FROM bench_seed, generate_series(0, %s - 1) r GROUP BY r, a",
                   (seeds[1], user_id, reps))
    db.execute_sql("INSERT INTO chunks (article_id, user_id, idx, content, embedding) "
                   "SELECT r * %s + s.a + 1, %s, s.idx, s.content, s.embedding + n.v "
                   "FROM generate_series(0, %s - 1) r CROSS JOIN bench_seed s "
                   "JOIN bench_noise n ON n.j = (s.i * 7 + r) %% 997 "
                   "ORDER BY r, s.i LIMIT %s", (seeds[1], user_id, reps, size))
    _, ms = timed(db.execute_sql, f"SET maintenance_work_mem = '{index_memory}'; CREATE INDEX "
                  "chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops)")
    db.execute_sql("CREATE INDEX chunks_tsv_gin ON chunks USING gin (tsv); ANALYZE chunks; "
                   "ANALYZE articles; ANALYZE article_lexeme_stats")
    # As autovacuum leaves it (migration 0007 asks it in early): postings all-visible, so
    # that the impact index answers without the heap.
    db.execute_sql("VACUUM ANALYZE article_postings")
    log(f"  {size:>9,} chunks built; HNSW index in {ms / 1000:.0f} s")


def measure(cfg, user_id, texts, vectors):
    """p50/p95 (ms), same queries, interleaved: the bare HNSW query; the hybrid statement
    alone (like the bare query, its bound values are made before the clock starts); and
    run(), the statement plus building the results (excerpts) the API returns."""
    times = {"bare_hnsw": [], "hybrid_sql": [], "hybrid": []}
    name, statement = sql.statement(cfg, "hybrid", 10)
    for i, (text, vec) in enumerate(zip(texts, vectors, strict=True)):
        query = parse(text)
        params = sql.params(cfg, user_id, query, vec, "hybrid", 10)
        calls = [("bare_hnsw", _bare, (cfg, user_id, params["vector"])),
                 ("hybrid_sql", _hybrid_sql, (name, statement, params)),
                 ("hybrid", run, (cfg, user_id, query, vec, "hybrid", 10))]
        # Whichever runs first for a query reads its pages into the cache for the others:
        # rotate the order so no side always pays (or is spared) that.
        for key, fn, args in calls[i % 3:] + calls[:i % 3]:
            times[key].append(timed(fn, *args)[1])
    return {k: {"p50": round(percentile(v, 50), 2), "p95": round(percentile(v, 95), 2)}
            for k, v in times.items()}


def _hybrid_sql(name, statement, params):
    return execute_prepared(name, statement, params, prefix=sql.SETTINGS).fetchall()


def _bare(cfg, user_id, literal):
    return db.execute_sql(BARE, (sql.ef_search(cfg), user_id, literal)).fetchall()


def explain(cfg, user_id, text, vector):
    """EXPLAIN ANALYZE of the prepared hybrid statement, as run() executes it."""
    name, statement = sql.statement(cfg, "hybrid", 10)
    params = sql.params(cfg, user_id, parse(text), vector, "hybrid", 10)
    rows = execute_prepared(name, statement, params, prefix=sql.SETTINGS,
                            explain="ANALYZE, COSTS OFF, TIMING OFF")
    return "\n".join(r[0] for r in rows.fetchall())


def main(sizes=SIZES, log=print):
    from bench.corpus import bench_app, ingest
    with bench_app() as app:
        ingest(log=log)
        rows = seed_rows(app.config["DATABASE_URL"])
    texts = list(dict.fromkeys(r[1] for r in rows if len(parse(r[1]).terms) >= 2))
    texts = random.Random(1).sample(texts, min(QUERIES, len(texts)))
    with _latency_app() as app:
        cfg = app.extensions["simplr.config"]
        user_id = User.get_or_create_by_email("bench@example.com").id
        load_seed(rows, user_id)
        vectors = get_embedder(cfg).embed(texts)
        out = {}
        for size in sizes:
            build(size, user_id, log)
            measure(cfg, user_id, texts[:20], vectors[:20])  # warm the caches
            out[size] = measure(cfg, user_id, texts, vectors)
            out[size]["explain"] = explain(cfg, user_id, texts[0], vectors[0])
            log(f"  {size:>9,} chunks: " + report(out[size]))
        assert Chunk.select().count() == sizes[-1]
    save("latency", out)
    return out


def report(m):
    bare = m["bare_hnsw"]["p50"]
    parts = [f"bare HNSW p50 {bare} ms p95 {m['bare_hnsw']['p95']} ms"]
    for key, label in (("hybrid_sql", "hybrid SQL"), ("hybrid", "hybrid run()")):
        parts.append(f"{label} p50 {m[key]['p50']} ms p95 {m[key]['p95']} ms "
                     f"({m[key]['p50'] / bare:.2f}x)")
    return " | ".join(parts)


def _latency_app():
    from bench.corpus import bench_app
    return bench_app(db_name=DB_NAME)


__all__ = ["fresh_database", "main"]
