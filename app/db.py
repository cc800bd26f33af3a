"""The database: one deferred, pooled peewee connection, opened and closed per request."""
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
