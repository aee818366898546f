"""Abuse limits on every write: per contributor and per client address, 429 + Retry-After.

Flask-Limiter counts with a sliding window, in Redis when REDIS_URL is set (every pod shares
the counts) or in the process's memory otherwise (one pod, embedded mode). If Redis stops
answering, requests are served under in-memory counts rather than refused: a broken limiter
must not take the contributor loop down with it.

Two keys per write, because each alone can be dodged: a person who drops the cookie is a new
contributor on every request (the client limit catches that), and a classroom or a mobile
carrier puts many honest people behind one address (its client limit is generous; the
per-contributor limit stays tight).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import Limiter, RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from app.errors_http import error_response
from app.settings import Settings

TOO_MANY = "Too many requests in a short time. Please wait a moment and try again."


@dataclass(frozen=True)
class WriteLimit:
    """The limits of one write endpoint, in Flask-Limiter's notation ("N per minute;M per hour")."""

    per_contributor: str
    per_client: str


# What an honest volunteer cannot reach: a recording takes at least a few seconds to make and
# a vote a few seconds to listen to, so 20 uploads or 60 votes a minute is already a sprint.
LIMITS: dict[str, WriteLimit] = {
    "speak.upload_recording": WriteLimit("20 per minute;400 per hour", "240 per minute"),
    "speak.skip": WriteLimit("60 per minute", "600 per minute"),
    "validate.vote": WriteLimit("60 per minute;1500 per hour", "600 per minute"),
    "validate.skip": WriteLimit("60 per minute", "600 per minute"),
    "reports.report": WriteLimit("10 per minute;100 per day", "120 per minute"),
    "contributors.save_profile": WriteLimit("10 per minute", "120 per minute"),
}


def client_address() -> str:
    """The connecting address (or, behind PROXY_HOPS trusted proxies, the client they name)."""
    return request.remote_addr or "unknown"


def contributor_key() -> str:
    """The contributor id from the signed cookie."""
    return f"contributor:{g.get('contributor_id')}"


def is_new_visitor() -> bool:
    """No cookie yet: only the client limit applies (this write makes the contributor)."""
    return g.get("contributor_id") is None


def init_app(app: Flask, settings: Settings) -> Limiter | None:
    """Puts the limits on the write endpoints (call after the blueprints are registered and
    after the identity cookie is read, so the contributor key is known)."""
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    if not settings.rate_limits:
        return None
    limiter = Limiter(
        client_address,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1}
        if settings.redis_url
        else {},
        strategy="sliding-window-counter",
        headers_enabled=False,  # X-RateLimit-* on every answer would only help a scraper
        swallow_errors=True,
        in_memory_fallback_enabled=bool(settings.redis_url),
        key_prefix="crowdsource",
    )
    for endpoint, limit in LIMITS.items():
        view: Callable[..., Any] = app.view_functions[endpoint]
        view = limiter.limit(
            limit.per_contributor, key_func=contributor_key, exempt_when=is_new_visitor
        )(view)
        view = limiter.limit(limit.per_client, key_func=client_address)(view)
        app.view_functions[endpoint] = view

    @app.errorhandler(RateLimitExceeded)
    def refuse(exc: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        wait = max(1, int(current.reset_at - time.time())) if current else 60
        response = error_response(429, "rate_limited", TOO_MANY)
        response.headers["Retry-After"] = str(wait)
        return response

    return limiter


def new_session_allowed() -> int | None:
    """None when this client may be issued a new session now, else the seconds to wait.

    Counted per client address in the shared store (PLACEHOLDER: always allows until the
    shared limiter lands)."""
    return None
