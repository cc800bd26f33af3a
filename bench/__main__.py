"""`python -m bench` runs every benchmark; `python -m bench retrieval|latency|chat|...`
runs some (`--1m` adds the 1M-chunk latency tier; its HNSW build takes long). Each prints
its figures against baselines measured in the same run and writes bench/results/*.json.
Modules bench.webhook, bench.ingest and bench.extract run too when present;
`python -m bench cluster` (capacity on five test hosts) runs only when named."""
import importlib
import logging
import sys

ORDER = ("retrieval", "latency", "chat", "answers", "categories", "webhook", "ingest", "extract",
         "importer")
# Run only when named: `cluster` boots five test hosts (root, systemd-nspawn, minutes).
BY_NAME = ("cluster",)


def available(names=ORDER):
    out = []
    for name in names:
        try:
            out.append((name, importlib.import_module(f"bench.{name}")))
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
    return out


def main(argv):
    logging.disable(logging.INFO)  # the pipeline's per-email logs would bury the figures
    modules = dict(available(ORDER + BY_NAME))
    wanted = argv or [name for name in ORDER if name in modules]
    unknown = [w for w in wanted if w not in modules]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; choose from {list(modules)}")
    for name in wanted:
        print(f"== {name}", flush=True)
        module = modules[name]
        if name == "latency" and "--1m" in sys.argv:
            module.main(sizes=(10_000, 100_000, 1_000_000))
        else:
            (getattr(module, "main", None) or module.run)()  # bench.ingest/webhook: run()


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if not a.startswith("--")])
