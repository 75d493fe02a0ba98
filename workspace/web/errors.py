"""One mapper from errors to responses: JSON envelope under /api, a page elsewhere."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, jsonify, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from workspace.db import database_unavailable
from workspace.domain.errors import Busy, DomainError, RateLimited
from workspace.extensions import db
from workspace.web.http import is_api

log = logging.getLogger(__name__)
UNAVAILABLE = "The database is not answering right now; nothing was changed. Try again in a moment."

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
    503: "busy",
}


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def respond(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    if is_api():
        response = jsonify({"error": body})
    else:
        response = render_template("errors/error.html", status=status, error=body)
    return response, status, headers or {}


def _domain_error(exc: DomainError) -> Any:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if isinstance(exc, Busy):
        headers = {"Retry-After": "1"}
    return respond(exc.status, exc.as_dict(), headers)


def _csrf_error(exc: CSRFError) -> Any:
    return respond(400, {"code": "csrf_failed",
                         "message": "This form has expired or did not come from this site. Reload the page and try again."})


def _http_error(exc: HTTPException) -> Any:
    status = exc.code or 500
    message = {
        404: "Nothing here.", 405: "That method is not allowed here.",
        413: _too_large(), 400: "The request could not be understood.",
    }.get(status, exc.description or exc.name)
    # RFC 9110: a 405 names the methods that are allowed (Werkzeug puts them in its own headers).
    headers = {k: v for k, v in exc.get_headers() if k == "Allow"}
    return respond(status, {"code": HTTP_CODES.get(status, "error"), "message": message}, headers)


def _too_large() -> str:
    """What a body over MAX_CONTENT_LENGTH is told: uploads are what get that big, so say their limit."""
    limit = current_app.config.get("ATTACHMENT_MAX_BYTES")
    return f"The request is too large: a file may be up to {limit // (1024 * 1024)} MB." if limit else \
        "The request is too large."


def _unexpected(exc: Exception) -> Any:
    if database_unavailable(exc):
        log.warning("database unavailable: %s", exc.__class__.__name__)
        db.session.rollback()
        db.session.remove()  # the next request starts on a fresh connection
        return respond(503, {"code": "busy", "message": UNAVAILABLE}, {"Retry-After": "2"})
    log.exception("unhandled error")
    return respond(500, {"code": "internal", "message": "Something went wrong on our side. Nothing was changed."})
