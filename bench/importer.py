"""`simplr import --user` on real mail: the SpamAssassin corpus written to a Maildir, then
imported by the real command (a subprocess, as ops run it) into a fresh database.

Baseline, same run: the ingest pipeline alone (`ingest_event` over pre-stored events, as
bench.ingest) on the same first emails (at most 300), so the ratio is what the command
adds: reading the mailbox, storing each raw message, starting up, the progress bar.
`BENCH_IMPORT_EMAILS=6046` imports the whole corpus (about an hour on 2 cores)."""
import mailbox
import os
import re
import subprocess
import sys
import tempfile
import time

from bench.corpus import raw_emails
from tests.services import RedisServer, fresh_database

EMAILS = int(os.environ.get("BENCH_IMPORT_EMAILS", "200"))
SUMMARY = re.compile(r"imported (\d+), duplicates (\d+), failed (\d+)")


def write_maildir(path, emails):
    box = mailbox.Maildir(path, create=True)
    for _, raw in emails:
        box.add(raw.encode("utf-8", errors="surrogateescape"))
    return len(box)


def run_import(maildir, redis_url):
    url = fresh_database("simplr_bench_import")
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": url, "REDIS_URL": redis_url,
           "STORAGE_DIR": tempfile.mkdtemp(prefix="simplr-import-"), "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "app", "migrate"], env=env, check=True,
                   capture_output=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "app", "import", "--user", "me@example.com",
                           maildir], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return seconds, done.stdout


def run(emails=EMAILS):
    from bench import ingest
    corpus = list(raw_emails(emails))
    redis = RedisServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            count = write_maildir(os.path.join(tmp, "Maildir"), corpus)
            seconds, output = run_import(os.path.join(tmp, "Maildir"), redis.url)
    finally:
        redis.close()
    baseline = ingest.run(min(emails, 300))
    imported, duplicates, failed = map(int, SUMMARY.search(output).groups())
    per_minute = imported / seconds * 60
    print(f"import: {count} real emails from a Maildir in {seconds:.1f} s "
          f"(model load included): imported {imported}, duplicates {duplicates}, "
          f"failed {failed}")
    print(f"  simplr import  {per_minute:>8.1f} emails/min")
    print(f"  ingest alone   {baseline['emails_per_minute']:>8} emails/min")
    print(f"  ratio          {per_minute / baseline['emails_per_minute']:>8.2f}")
    for line in output.splitlines():
        if line.strip().startswith("failed "):
            print("  " + line.strip())
    return {"emails": count, "imported": imported, "failed": failed, "seconds": seconds}


if __name__ == "__main__":
    run()
