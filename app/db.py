"""The database: one deferred, pooled peewee connection, opened and closed per request."""
import re
import weakref

from playhouse.db_url import parse as parse_url
from playhouse.postgres_ext import PooledPostgresqlExtDatabase

db = PooledPostgresqlExtDatabase(None)


def init_db(config):
    """Bind the deferred database to DATABASE_URL (pooled; stale connections are recycled)."""
    params = parse_url(config.DATABASE_URL)
    name = params.pop("database")
    params.setdefault("connect_timeout", 3)
    db.init(name, max_connections=config.DATABASE_POOL_SIZE, stale_timeout=300,
            timeout=5, **params)
    return db


def init_app(app):
    """Open a connection lazily for each request and return it to the pool afterwards."""
    init_db(app.extensions["simplr.config"])

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()


# Statement names prepared on each pooled connection. Keyed by the psycopg2 connection
# object: a reconnect is a new object, so a fresh session is never assumed to have them.
# (Prepared statements outlive a rolled-back transaction, so no undo is needed on error.)
_prepared = weakref.WeakKeyDictionary()
_PARAM = re.compile(r"%\((\w+)\)s")


def execute_prepared(name, sql, params, prefix="", explain=None):
    """Run `sql` (psycopg2 %(name)s placeholders) as a server-side prepared statement: it
    is planned once per connection instead of on every call. `prefix` (e.g. SET ...;) is
    sent in the same round trip. `explain` (e.g. "ANALYZE, COSTS OFF") returns the plan
    it runs with instead of its rows. Returns the cursor."""
    conn = db.connection()
    names = _prepared.setdefault(conn, {})
    if name not in names:
        order = list(dict.fromkeys(_PARAM.findall(sql)))
        text = _PARAM.sub(lambda m: f"${order.index(m.group(1)) + 1}", sql)
        db.execute_sql(f"PREPARE {name} AS {text}")
        names[name] = order
    args = ", ".join(f"%({n})s" for n in names[name])
    verb = f"EXPLAIN ({explain}) EXECUTE" if explain else "EXECUTE"
    return db.execute_sql(f"{prefix} {verb} {name} ({args})", params)
