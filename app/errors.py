"""Errors answered as JSON for the API and webhooks, as pages for browsers; the security
headers every response carries."""
import logging

import peewee
from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from app import params

log = logging.getLogger(__name__)
# Email text is untrusted: no page runs inline script, so injected markup could not either.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


def wants_json():
    return (request.path.startswith(("/api/", "/webhooks/", "/chat/stream"))
            or request.accept_mimetypes.best == "application/json")


def security_headers(response):
    """after_request: one policy for every HTML page, error pages included."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
    return response


def init_app(app):
    app.after_request(security_headers)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        # keep the headers that tell a client what to do next (405 Allow, 429 Retry-After)
        headers = {k: v for k, v in exc.get_headers() if k in ("Allow", "Retry-After")}
        if wants_json():
            body = {"error": exc.description, "status": exc.code}
            if isinstance(exc, params.ParamError):
                body["fields"] = exc.fields
            return jsonify(body), exc.code, headers
        return render_template("error.html", error=exc), exc.code, headers

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def database_down(exc):
        log.error("database unavailable: %s", exc)
        if wants_json():
            return jsonify(error="database unavailable", status=503), 503
        return render_template("error.html", error=None), 503
