"""Simplr: email it, then ask it."""
from flask import Flask

from app.config import Config, load


def create_app(config=None):
    """The application: `config` is a Config, a dict of overrides, or None (environment)."""
    from app import api, articles, cli, db, errors, held, logs, metrics, ops, queue, webhooks
    from app.auth import csrf, sessions
    from app.auth import views as auth_views
    from app.chat import render
    from app.chat import views as chat_views
    from app.search import views as search_views

    cfg = config if isinstance(config, Config) else load(**(config or {}))
    app = Flask(__name__)
    app.config.update(cfg.as_flask())
    app.extensions["simplr.config"] = cfg
    logs.init_logging(cfg)
    logs.init_sentry(cfg)
    # Order matters: sessions load g.user before csrf checks the token bound to it.
    for part in (db, queue, errors, metrics, sessions, csrf, cli, webhooks, render):
        part.init_app(app)
    for blueprint in (ops.bp, webhooks.bp, auth_views.bp, articles.bp, api.bp,
                      search_views.bp, chat_views.bp, held.bp):
        app.register_blueprint(blueprint)
    return app
