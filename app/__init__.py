"""Simplr: email it, then ask it."""
from flask import Flask

from app.config import Config, load


def create_app(config=None):
    """The application: `config` is a Config, a dict of overrides, or None (environment)."""
    cfg = config if isinstance(config, Config) else load(**(config or {}))
    app = Flask(__name__)
    app.config.update(cfg.as_flask())
    app.extensions["simplr.config"] = cfg

    from app import cli, db, errors, logs, metrics, ops, queue, webhooks
    from app.auth import csrf, sessions
    logs.init_logging(cfg)
    logs.init_sentry(cfg)
    db.init_app(app)
    queue.init_app(app)
    errors.init_app(app)
    metrics.init_app(app)
    sessions.init_app(app)  # before csrf: the CSRF token is bound to the session
    csrf.init_app(app)
    cli.init_app(app)
    app.register_blueprint(ops.bp)
    app.register_blueprint(webhooks.bp)
    from app import api, articles
    from app.auth import views as auth_views
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(articles.bp)
    app.register_blueprint(api.bp)
    from app.search import views as search_views
    app.register_blueprint(search_views.bp)
    from app.chat import views as chat_views
    app.register_blueprint(chat_views.bp)
    return app
