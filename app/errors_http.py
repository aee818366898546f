"""Turn every error into a JSON answer `{"error": {"code", "message"}}`; never a stack trace."""

from __future__ import annotations

import logging
from types import TracebackType

import psycopg
from flask import Flask, Response, g, has_request_context, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from app import inputs
from app.errors import CrowdsourceError, ServiceUnavailable
from app.i18n.runtime import translate
from app.i18n.text import Text
from app.logs import current_request_id, where

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = ServiceUnavailable.retry_after_seconds

# What a client is told when a dependency fails; the details (hosts, buckets, paths) go to the
# log only.
_PUBLIC_5XX_MESSAGES = {
    "database_unavailable": Text(
        "The database is not answering right now. Please try again shortly."
    ),
    "storage_unavailable": Text("Storage is not reachable right now. Please try again shortly."),
    "storage_error": Text("Storage could not complete the request. Please try again shortly."),
}
_HTTP_CODES = {413: "too_large"}
# Werkzeug's own descriptions are English only; the ones a client meets most are ours.
_HTTP_MESSAGES = {
    404: Text("There is nothing at this address."),
    405: Text("This address does not accept this method."),
    413: Text("The request is larger than this endpoint accepts."),
}
_INTERNAL = Text("Something went wrong on our side.")
_INVALID_INPUT = Text("Some of the input is not valid.")


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    """The one shape of every error answer (`field` names the input at fault, when there is
    one); 503s carry Retry-After. A `Text` message is given in the request's language."""
    if has_request_context():
        g.error_code = code  # for the metrics of refused uploads
        message = translate(message)
    body: dict[str, str] = {"code": code, "message": _printable(message)}
    if field is not None:
        body["field"] = _printable(field)
    response = jsonify({"error": body})
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# A person's browser asking for a page gets a page; API clients (and anything that does not
# ask for HTML first) get the JSON shape.
_PAGE_HEADINGS = {
    404: Text("Page not found"),
    405: Text("This page cannot do that"),
    500: Text("Something went wrong"),
}


def _wants_a_page() -> bool:
    if request.path.startswith(("/api/", "/public/", "/static/", "/i18n/")):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > 0


def page_or_json(status: int, code: str, message: str) -> Response:
    """The error as an HTML page for a browser's page request, else as JSON."""
    if status in _PAGE_HEADINGS and has_request_context() and _wants_a_page():
        try:
            html = render_template(
                "error.html", heading=translate(_PAGE_HEADINGS[status]), message=translate(message)
            )
        except Exception:  # the page itself failed (a broken template): the JSON still answers
            log.exception("error page could not be drawn")
        else:
            g.error_code = code
            return Response(html, status=status, mimetype="text/html")
    return error_response(status, code, message)


def _printable(text: str) -> str:
    """`text` as UTF-8 can carry it: a message may quote the client's input, and an unpaired
    surrogate in it would make the answer itself fail to encode."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _raised_by_database_driver(tb: TracebackType | None) -> bool:
    """True when a frame of `tb` is psycopg's (it encodes parameters as it sends them)."""
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "") or ""
        if module.startswith("psycopg") or "psycopg" in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def _is_malformed_body(exc: Exception) -> bool:
    """gunicorn's errors for a body it could not read (a malformed chunked encoding, a body
    shorter than announced), raised from the WSGI input while a route reads it."""
    return type(exc).__module__.startswith("gunicorn.http")


def init_app(app: Flask) -> None:
    """The error handlers, and the input checks every request goes through (app.inputs)."""
    inputs.init_app(app)

    @app.errorhandler(CrowdsourceError)
    def handle_ours(exc: CrowdsourceError) -> Response:
        message = exc.message
        if exc.http_status >= 500:
            log.warning("%s: %s", exc.code, exc.message)
            message = _PUBLIC_5XX_MESSAGES.get(exc.code, _INTERNAL)
        return error_response(exc.http_status, exc.code, message, exc.field)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = _HTTP_CODES.get(status) or (exc.name or "error").lower().replace(" ", "_")
        message = _HTTP_MESSAGES.get(status) or exc.description or exc.name
        response = page_or_json(status, code.replace("'", ""), message)
        allow = exc.get_response().headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
        return response

    @app.errorhandler(psycopg.DataError)
    def handle_bad_data(exc: psycopg.DataError) -> Response:
        # Input the database cannot hold (a NUL character, a number out of range) that slipped
        # past the checks in the routes: the client's fault, not ours.
        log.info("input refused by the database: %s", type(exc).__name__)
        return error_response(400, "invalid_input", _INVALID_INPUT)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        if isinstance(exc, UnicodeEncodeError) and _raised_by_database_driver(exc.__traceback__):
            # Text psycopg cannot encode (an unpaired surrogate) that slipped past app.inputs.
            log.info("input refused by the database driver: %s", type(exc).__name__)
            return error_response(400, "invalid_input", _INVALID_INPUT)
        if _is_malformed_body(exc):
            log.info("malformed request body: %s", type(exc).__name__)
            return error_response(400, "invalid_input", Text("The request body could not be read."))
        # Type and place only: the message and traceback may hold SQL, values or secrets
        # (the JSON log adds the traceback at LOG_LEVEL=DEBUG).
        log.error(
            "unhandled %s at %s",
            type(exc).__name__,
            where(exc),
            exc_info=exc,
            extra={"request_id": current_request_id()},
        )
        return page_or_json(500, "internal_error", _INTERNAL)
