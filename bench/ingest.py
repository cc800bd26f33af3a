"""Ingestion throughput on real email, against the embedding model's own speed.

The pipeline (parse → extract → chunk → embed → summarise → classify → one transaction) is
timed per email; the baseline embeds exactly the same chunk texts with the same model in
one go, measured in the same run. The ratio is the pipeline's share of that physical limit.

    python -m bench ingest          # BENCH_INGEST_EMAILS=300 by default
"""
import os
import time

from bench.corpus import raw_emails
from tests.services import RedisServer, fresh_database

EMAILS = int(os.environ.get("BENCH_INGEST_EMAILS", "300"))


def _app(redis):
    from app import create_app
    from app.migrations import migrate
    app = create_app({"APP_ENV": "test", "DATABASE_URL": fresh_database("simplr_bench_ingest"),
                      "REDIS_URL": redis.url, "STORAGE_DIR": "/tmp/simplr-bench-ingest",
                      "LOG_LEVEL": "WARNING"})
    with app.app_context():
        migrate({"dimensions": 384}, log=lambda *_: None)
    return app


def _store(emails):
    from app.ingest.sample import encode, payload_from_message
    from app.models import InboundEvent, User
    owner = User.get_or_create_by_email("bench@example.com")  # as `simplr import --user`
    ids = []
    for mid, raw in emails:
        payload = payload_from_message(raw, message_id=f"ingest-{mid}")
        ids.append(InboundEvent.store(f"ingest-{mid}", encode(payload),
                                      sender=payload["data"]["from"]["email"] or "x@example.com",
                                      owner_id=owner.id))
    return [i for i in ids if i]


def _pipeline(event_ids):
    from app.ingest.jobs import ingest_event
    from app.models import Chunk
    started = time.perf_counter()
    for event_id in event_ids:
        ingest_event(event_id)
    return time.perf_counter() - started, Chunk.select().count()


def _raw_embedding(cfg):
    """Embed the very chunks the pipeline produced, in one call: the model's own speed."""
    from app.models import Chunk
    from app.providers import get_embedder
    texts = [c.content for c in Chunk.select(Chunk.content)]
    started = time.perf_counter()
    get_embedder(cfg).embed(texts)
    return time.perf_counter() - started, len(texts)


def run(emails=EMAILS):
    redis = RedisServer().start()
    try:
        app = _app(redis)
        with app.app_context():
            from app.providers import get_provider
            cfg = app.extensions["simplr.config"]
            get_provider(cfg).embedder.embed(["warm up the model"] * 4)
            event_ids = _store(list(raw_emails(emails)))
            seconds, chunks = _pipeline(event_ids)
            raw_seconds, raw_chunks = _raw_embedding(cfg)
    finally:
        redis.close()
    pipeline_cps, raw_cps = chunks / seconds, raw_chunks / raw_seconds
    result = {"emails": len(event_ids), "chunks": chunks, "seconds": round(seconds, 2),
              "emails_per_minute": round(len(event_ids) / seconds * 60, 1),
              "pipeline_chunks_per_s": round(pipeline_cps, 2),
              "raw_embedding_chunks_per_s": round(raw_cps, 2),
              "ratio_to_raw": round(pipeline_cps / raw_cps, 3)}
    _print(result)
    return result


def _print(r):
    print(f"ingest: {r['emails']} real emails, {r['chunks']} chunks in {r['seconds']} s")
    print(f"  pipeline       {r['emails_per_minute']:>8} emails/min  "
          f"{r['pipeline_chunks_per_s']:>7} chunks/s")
    print(f"  raw embedding  {'':>8}             {r['raw_embedding_chunks_per_s']:>7} chunks/s")
    print(f"  ratio to raw   {r['ratio_to_raw']:>8}   (target >= 0.8)")


if __name__ == "__main__":
    run()
