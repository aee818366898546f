"""Turn every error into a JSON answer `{"error": {"code", "message"}}`; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from app.errors import CrowdsourceError, ServiceUnavailable

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str) -> Response:
    """The one shape of every error answer."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(CrowdsourceError)
    def handle_ours(exc: CrowdsourceError) -> Response:
        response = error_response(exc.http_status, exc.code, exc.message)
        if isinstance(exc, ServiceUnavailable):
            response.headers["Retry-After"] = str(exc.retry_after_seconds)
        if exc.http_status >= 500:
            log.warning("%s: %s", exc.code, exc.message)
        return response

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_").replace("'", "")
        response = error_response(exc.code or 500, code, exc.description or exc.name)
        for header in ("Allow", "Retry-After"):
            if exc.get_response().headers.get(header):
                response.headers[header] = exc.get_response().headers[header]
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side.")
