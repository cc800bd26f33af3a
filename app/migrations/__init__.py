"""Versioned schema migrations, applied in order and recorded in `schema_migrations`.

Each module `NNNN_name.py` defines `up(db, ctx)`; ctx carries settings a migration needs
(the embedding dimension), and PREVIOUS_RELEASE_RUNS, whether the release before it can
run on the migrated schema. Migrations should only add, so that a rollback survives a
deploy's migration; one that cannot (a rename, a dropped column) says False, and the
deploy then will not switch back across it by itself (`simplr migrate --plan`).
"""
import importlib
import pkgutil

from app.db import db

LOCK_ID = 7_150_001  # advisory lock: two deploys or workers never migrate at once


def available():
    """(version, module name) of every migration shipped with this release, in order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name[:4].isdigit())
    return [(int(n[:4]), n) for n in names]


def applied():
    db.execute_sql("""CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())""")
    return {v for (v,) in db.execute_sql("SELECT version FROM schema_migrations")}


def pending():
    """[(version, name, previous_release_runs)] of the migrations not applied yet."""
    with db.connection_context():
        have = applied()
    return [(v, n, importlib.import_module(f"{__name__}.{n}").PREVIOUS_RELEASE_RUNS)
            for v, n in available() if v not in have]


def migrate(ctx, log=print):
    """Apply pending migrations, each in its own transaction. Returns the versions applied."""
    _require_vector()
    done = []
    with db.connection_context():
        db.execute_sql("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
        try:
            have = applied()
            for version, name in available():
                if version in have:
                    continue
                with db.atomic():
                    importlib.import_module(f"{__name__}.{name}").up(db, ctx)
                    db.execute_sql("INSERT INTO schema_migrations (version, name) "
                                   "VALUES (%s, %s)", (version, name))
                log(f"applied migration {name}")
                done.append(version)
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))
    return done


def _require_vector():
    """The app role is not a superuser: the extension must come from whoever owns the
    database (Ansible, or scripts/database.sh). Try anyway, for superuser dev setups."""
    with db.connection_context():
        if db.execute_sql("SELECT 1 FROM pg_extension WHERE extname='vector'").fetchone():
            return
        try:
            db.execute_sql("CREATE EXTENSION IF NOT EXISTS vector")
        except Exception as exc:
            raise RuntimeError("the 'vector' extension is missing; create it as a superuser: "
                               "CREATE EXTENSION vector;") from exc
