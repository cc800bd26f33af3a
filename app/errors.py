"""Errors answered as JSON for the API and webhooks, as pages for browsers."""
import logging

import peewee
from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def wants_json():
    return (request.path.startswith(("/api/", "/webhooks/", "/chat/stream"))
            or request.accept_mimetypes.best == "application/json")


def init_app(app):
    @app.errorhandler(HTTPException)
    def http_error(exc):
        # keep the headers that tell a client what to do next (405 Allow, 429 Retry-After)
        headers = {k: v for k, v in exc.get_headers() if k in ("Allow", "Retry-After")}
        if wants_json():
            return jsonify(error=exc.description, status=exc.code), exc.code, headers
        return render_template("error.html", error=exc), exc.code, headers

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def database_down(exc):
        log.error("database unavailable: %s", exc)
        if wants_json():
            return jsonify(error="database unavailable", status=503), 503
        return render_template("error.html", error=None), 503
