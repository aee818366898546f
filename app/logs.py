"""Structured logs: one JSON object a line, one line per request, a request id on everything.

- Every request gets an id: the ingress's `X-Request-ID` when it is a plausible id, else a new
  one. It is returned in the `X-Request-ID` response header and stamped on every log line
  written while the request runs, so a volunteer's "it failed" can be found from the header.
- The request line says what happened, not who: the route pattern (never the path, which can
  hold ids), the status, the duration, and the contributor id hashed with the secret key. No
  client address, display name or query string.
- Unexpected errors are logged by type and place (module, function, line); their message and
  traceback may carry SQL, values or secrets, so they appear only at LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from app.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
request_log = logging.getLogger("crowdsource.request")
# The attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, request_id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info and logging.getLogger().isEnabledFor(logging.DEBUG):
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def route_of_request() -> str | None:
    """The matched route pattern (never the raw path, which can hold ids), or None."""
    return request.url_rule.rule if request.url_rule else None


def request_seconds() -> float | None:
    """Seconds since this request's first hook ran (logs.init_app registers it first)."""
    started = g.get("request_started")
    return time.perf_counter() - started if started is not None else None


def configure_process_logging(level: str, *, replace: bool = False) -> None:
    """JSON lines on stderr for a server process. Logging configured already (pytest's
    capture, a CLI command's text lines) is left alone unless `replace`."""
    root = logging.getLogger()
    if root.handlers and not replace:
        return
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)


def gunicorn_log_config(level: str) -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its own messages as JSON lines on stderr too, through the
    root logger, and no access log (the app writes its own request line, without addresses)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.logs.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }


def hashed_contributor(secret_key: str, contributor_id: uuid.UUID | None) -> str | None:
    """A stable pseudonym for log lines: the same person gives the same value, and the value
    cannot be turned back into the cookie's id without the secret key."""
    if contributor_id is None:
        return None
    digest = hmac.new(secret_key.encode(), str(contributor_id).encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def where(exc: BaseException) -> str:
    """module:function:line of the innermost frame of `exc`'s traceback."""
    tb = exc.__traceback__
    if tb is None:
        return "unknown"
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    module = tb.tb_frame.f_globals.get("__name__", code.co_filename)
    return f"{module}:{code.co_name}:{tb.tb_lineno}"


def init_app(app: Flask, settings: Settings) -> None:
    """Request ids, the per-request line, and JSON logs for the serving process."""
    configure_process_logging(settings.log_level)
    secret = settings.secret_key or ""

    @app.before_request
    def start() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _PLAUSIBLE_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        seconds = request_seconds()
        route = route_of_request()
        request_log.info(
            "%s %s %s",
            request.method,
            route or "(no route)",
            response.status_code,
            extra={
                "request_id": request_id,
                "method": request.method,
                "route": route,
                "endpoint": request.endpoint,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1) if seconds is not None else None,
                "contributor": hashed_contributor(secret, g.get("contributor_id")),
                "bytes_in": request.content_length or 0,
            },
        )
        return response
