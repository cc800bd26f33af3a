"""Capacity across hosts, on the five test hosts of tests/infra (harness/multi.sh,
inventory/test-multi: edge+web, a second web host, a worker host, the primary, a replica).
Boots and provisions them (about 4 minutes), measures, and tears them down:

- ingest: real emails posted through the edge, worked by the worker host with one RQ
  worker, then with two (the baseline is the one-worker rate, same run);
- the replica's lag while that ingest runs (pg_stat_replication, sampled on the primary);
- search at 100k chunks (synthesised from the corpus bench's real chunks, as the latency
  bench does; run `python -m bench retrieval` once first): queries a second through the
  edge with both web hosts, then with one (the baseline, same run).

Every host shares this machine's cores, so the figures are per host of that size while
the others idle, not a cluster of separate machines. Needs root and systemd-nspawn; not
part of the default run:  python -m bench cluster
"""
import json
import os
import threading
import time

from bench.corpus import DB_NAME as CORPUS_DB
from bench.corpus import raw_emails
from bench.stats import percentile, save
from tests.infra.helpers import connects, https, post_webhook, wait

EMAILS = 40  # per batch; nginx takes 100 webhooks a minute from one address
CHUNKS = 100_000
SEARCH_SECONDS = 20
CLIENTS = 4


def _boot():
    from tests.infra import test_multihost as multi
    from tests.infra.conftest import HARNESS, _sh, _snapshot_source
    # Room on the database hosts' tmpfs roots for 100k chunks, their indexes and WAL.
    os.environ.setdefault("SIMPLR_MULTI_ROOT_SIZE", "10G")
    _sh(["bash", str(HARNESS / "multi.sh"), "down"], "bench-down-stale", check=False)
    _sh(["bash", str(HARNESS / "multi.sh"), "up"], "bench-up", timeout=600)
    addresses = json.loads((multi.MRUN / "hosts.json").read_text())
    hosts = multi.Cluster(_snapshot_source(), addresses)
    # No rate limit on search: the load comes from one address.
    hosts.playbook("site.yml", "bench-site", "-e", "nginx_rate_limit_api=10000r/s")
    return hosts


def _down():
    from tests.infra.conftest import HARNESS, _sh
    _sh(["bash", str(HARNESS / "multi.sh"), "down"], "bench-down", check=False)


def _post(hosts, emails, tag):
    from app.ingest.sample import payload_from_message
    for mid, raw in emails:
        data = payload_from_message(raw, message_id=f"{tag}-{mid}")["data"]
        post_webhook(hosts, data["id"], data["subject"] or "(no subject)",
                     data.get("text") or "(empty)")
        time.sleep(0.62)


def _lag_sampler(hosts, stop, out):
    query = ("SELECT COALESCE(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0), "
             "COALESCE(max(EXTRACT(EPOCH FROM replay_lag)), 0) FROM pg_stat_replication")
    while not stop.is_set():
        row = hosts.sql(query).split("|")
        out.append((float(row[0]), float(row[1] or 0)))
        time.sleep(0.5)


def _ingest_batch(hosts, emails, tag, workers):
    """Post with the workers stopped, then time `workers` of them through the batch."""
    units = " ".join(f"simplr-worker@{n}" for n in (1, 2))
    hosts.ssh("simplr-worker", f"systemctl stop {units}")
    _post(hosts, emails, tag)
    done = ("SELECT count(*), COALESCE(sum((SELECT count(*) FROM chunks c WHERE c.article_id = "
            f"a.id)), 0) FROM articles a JOIN inbound_events e ON e.id = a.event_id "
            f"WHERE e.provider_message_id LIKE '{tag}-%'")
    start = time.monotonic()
    hosts.ssh("simplr-worker", "systemctl start " + " ".join(
        f"simplr-worker@{n}" for n in range(1, workers + 1)))
    finished = f"SELECT count(*) FROM inbound_events WHERE provider_message_id LIKE '{tag}-%' " \
               "AND status IN ('done', 'failed', 'rejected', 'held')"
    wait(lambda: hosts.sql(finished) == str(len(emails)), timeout=900, interval=0.5)
    seconds = time.monotonic() - start
    articles, chunks = map(int, hosts.sql(done).split("|"))
    hosts.ssh("simplr-worker", f"systemctl start {units}")
    return {"workers": workers, "emails": articles, "chunks": chunks, "seconds": seconds,
            "emails_per_s": articles / seconds, "chunks_per_s": chunks / seconds}


def measure_ingest(hosts):
    emails = list(raw_emails(2 * EMAILS))
    stop, lag = threading.Event(), []
    sampler = threading.Thread(target=_lag_sampler, args=(hosts, stop, lag), daemon=True)
    sampler.start()
    try:
        one = _ingest_batch(hosts, emails[:EMAILS], "cap1", 1)
        two = _ingest_batch(hosts, emails[EMAILS:], "cap2", 2)
    finally:
        stop.set()
        sampler.join(5)
    return {"one_worker": one, "two_workers": two,
            "replica_lag_max_bytes": max(b for b, _ in lag),
            "replica_lag_max_seconds": max(s for _, s in lag),
            "replica_lag_p95_bytes": percentile([b for b, _ in lag], 95)}


def _tunnel(hosts):
    """The primary's PostgreSQL on 127.0.0.1:15432 here, through ssh (its port is fenced
    from this machine); the owner role's URL."""
    import subprocess

    from tests.infra.test_multihost import SSH_CONFIG
    proc = subprocess.Popen(["ssh", "-F", str(SSH_CONFIG), "-N", "-L",
                             "15432:127.0.0.1:5432", hosts.primary])
    password = hosts.ssh(hosts.primary, "cat /etc/simplr/secrets/simplr_db_owner_password").stdout
    wait(lambda: connects("127.0.0.1", 15432, timeout=1), timeout=20, interval=0.2)
    return proc, f"postgresql://simplr_owner:{password.strip()}@127.0.0.1:15432/simplr"


def _load_chunks(hosts, log):
    """CHUNKS synthetic chunks for a user of the cluster, built as the latency bench builds
    them (from its seed rows), through a tunnel to the primary as the owner role."""
    from app import create_app
    from app.models import User
    from bench import latency
    from bench.corpus import _drop_connections
    rows = latency.seed_rows(f"postgresql://simplr:simplr@127.0.0.1:5432/{CORPUS_DB}")
    tunnel, url = _tunnel(hosts)
    try:
        app = create_app({"APP_ENV": "test", "DATABASE_URL": url, "LLM_PROVIDER": "local"})
        with app.app_context():
            user_id = User.get_or_create_by_email("bench@example.com").id
            latency.load_seed(rows, user_id)
            latency.build(CHUNKS, user_id, log, index_memory="512MB")  # the host's /dev/shm
            _drop_connections()
    finally:
        tunnel.terminate()
    texts = list(dict.fromkeys(r[1] for r in rows))
    return user_id, texts


def _session(hosts, user_id):
    """A login for the load (a session row, as a magic link would make)."""
    import secrets
    token = secrets.token_urlsafe(32)
    hosts.sql("INSERT INTO sessions (user_id, token_hash, user_agent, created_at, expires_at) "
              f"VALUES ({user_id}, encode(sha256('{token}'), 'hex'), 'bench', now(), "
              "now() + interval '1 day')")
    return token


def _load(hosts, token, texts, seconds):
    """CLIENTS threads searching through the edge for `seconds`: queries a second, p50."""
    from urllib.parse import quote
    stop, times, errors = time.monotonic() + seconds, [], []

    def client(k):
        i = k
        while time.monotonic() < stop:
            started = time.monotonic()
            status = https(hosts.ip, f"/api/search?q={quote(texts[i % len(texts)])}",
                           headers={"Cookie": f"simplr_session={token}"},
                           server_name="simplr-edge")[0]
            (times if status == 200 else errors).append(time.monotonic() - started)
            i += CLIENTS
    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"qps": len(times) / seconds, "p50_ms": round(percentile(times, 50) * 1000, 1),
            "errors": len(errors)}


def measure_search(hosts, log):
    user_id, texts = _load_chunks(hosts, log)
    token = _session(hosts, user_id)
    _load(hosts, token, texts, 5)  # warm both web hosts' pools and the primary's cache
    both = _load(hosts, token, texts, SEARCH_SECONDS)
    hosts.ssh("simplr-web2", "systemctl stop simplr-web")
    try:
        one = _load(hosts, token, texts, SEARCH_SECONDS)
    finally:
        hosts.ssh("simplr-web2", "systemctl start simplr-web")
    return {"chunks": CHUNKS, "clients": CLIENTS, "one_web_host": one, "two_web_hosts": both}


def report_ingest(ingest, log):
    for m in (ingest["one_worker"], ingest["two_workers"]):
        log(f"  ingest, {m['workers']} worker(s) on the worker host: {m['emails']} emails, "
            f"{m['chunks']} chunks in {m['seconds']:.1f} s = {m['emails_per_s']:.2f} emails/s, "
            f"{m['chunks_per_s']:.1f} chunks/s")
    ratio = ingest["two_workers"]["chunks_per_s"] / ingest["one_worker"]["chunks_per_s"]
    log(f"  two workers / one: {ratio:.2f}x; replica lag during ingest: max "
        f"{ingest['replica_lag_max_bytes'] / 1024:.0f} KiB, "
        f"{ingest['replica_lag_max_seconds']:.2f} s")


def report_search(search, log):
    one, both = search["one_web_host"], search["two_web_hosts"]
    for label, m in (("one web host", one), ("two web hosts", both)):
        log(f"  search at {search['chunks']:,} chunks, {label}: {m['qps']:.1f} queries/s, "
            f"p50 {m['p50_ms']} ms, {m['errors']} errors")
    log(f"  two web hosts / one: {both['qps'] / one['qps']:.2f}x")


def main(log=print):
    hosts = _boot()
    try:
        ingest = measure_ingest(hosts)
        report_ingest(ingest, log)
        search = measure_search(hosts, log)
        report_search(search, log)
        save("cluster", {"ingest": ingest, "search": search})
        return ingest, search
    finally:
        _down()
