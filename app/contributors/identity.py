"""Sessions: a random contributor id in a signed, HttpOnly cookie, issued before any influence.

A session is issued by a page view or by `POST /api/v1/session`, never by a write: every write
calls `require_session`, which answers 401 `no_session` when the request carries none. Issuing
one costs the client a request and counts against its address's new-session limit
(`app.security.limits.new_session_allowed`), so identities are no longer free: a script that
drops its cookie has to come back for a new one, and soon waits.

The cookie is read before each request. A cookie whose signature fails is cleared; on the API
it is refused with 401 so a client never acts under a forged id.

**Generations.** The cookie holds [contributor id, session generation] (a cookie from before
holds the id alone: generation 0). Rotating the contributor key (app/contributors/keys.py)
moves contributors.session_generation on; a cookie of an older generation is then refused like
an invalid one: cleared, 401 `session_revoked` on the API (a page meets it at its first API call).
Checking costs one primary-key read per API request that carries a cookie (not for page views,
which read nothing of the database and act on nobody's data — the page's first API call meets
the refusal, clears the cookie and says why, and the next page view starts a fresh visit —,
static files, probes, metrics, catalogs or published dashboard files), and less: each process
remembers a contributor's generation for GENERATION_TTL seconds. The process that rotates
forgets it at once; another worker or pod may still take an old cookie for up to GENERATION_TTL
seconds after a rotation (the window; a rotation answers in less time than it takes to walk to
the other device). A cookie of a newer generation than the one remembered is taken (we signed
it, so the memory is stale) and the memory moved on. Measured (2026-12, 2 shared cores under
load): a remembered generation costs about 1 µs, a read about 0.5 ms (pool checkout, query,
commit), against about 0.6-1 ms for a whole GET /api/v1/languages; so without the memory every
request with a cookie would cost about half as much again.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from flask import Flask, Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

from app import deps
from app.contributors.service import ensure_contributor
from app.db import Conn
from app.errors import CrowdsourceError
from app.i18n.text import Text

COOKIE_NAME = "cs_id"
COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
GENERATION_TTL = 5.0  # seconds a process trusts the generation it read (see the docstring)
_GENERATIONS_MAX = 50_000  # remembered contributors per process; past it, start again
# What needs no identity, and so no generation read: files, probes, metrics, catalogs, the
# OpenAPI document.
_NO_IDENTITY_BLUEPRINTS = frozenset({"health", "metrics", "dashboard_files", "api"})
_NO_IDENTITY_ENDPOINTS = frozenset({"static", "i18n_catalog"})
# Where a revoked cookie is simply replaced rather than refused: the answers that set one.
_REPLACES_SESSION = frozenset({"contributors.new_session", "keys.enter_key"})


class InvalidSession(CrowdsourceError):
    """A session cookie whose signature fails: a credential we did not issue (401)."""

    code = "invalid_session"
    http_status = 401


class SessionRevoked(CrowdsourceError):
    """A session cookie from before the contributor key was replaced (401)."""

    code = "session_revoked"
    http_status = 401


class NoSession(CrowdsourceError):
    code = "no_session"
    http_status = 401


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="crowdsource.contributor")


def current_contributor_id() -> uuid.UUID | None:
    """The id from this request's session cookie, or None when it carries none."""
    return g.get("contributor_id")


def require_session() -> uuid.UUID:
    """The contributor id of this request's session; raises NoSession (401) without one."""
    contributor_id = current_contributor_id()
    if contributor_id is None:
        raise NoSession(
            Text(
                "Your browser has no session with us yet. Please reload the page "
                "(or POST /api/v1/session) and try again."
            )
        )
    return contributor_id


def issue_session(conn: Conn) -> uuid.UUID:
    """Make a new contributor and have the response set its session cookie. The caller has
    checked the client's new-session limit."""
    contributor_id = uuid.uuid4()
    ensure_contributor(conn, contributor_id)
    set_session(contributor_id, 0)
    return contributor_id


def set_session(contributor_id: uuid.UUID, generation: int) -> None:
    """Have this response set the cookie of this contributor and session generation (the
    browser becomes them from its next request; this request acts as them from now on)."""
    g.contributor_id = contributor_id
    g.session_generation = generation
    g.set_contributor_cookie = True


class _Generations:
    """Each contributor's session generation as this process last read it, for a few seconds."""

    def __init__(self) -> None:
        self._seen: dict[uuid.UUID, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def get(self, contributor_id: uuid.UUID) -> int | None:
        found = self._seen.get(contributor_id)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def put(self, contributor_id: uuid.UUID, generation: int) -> None:
        with self._lock:
            if len(self._seen) >= _GENERATIONS_MAX:
                self._seen.clear()
            self._seen[contributor_id] = (generation, time.monotonic() + GENERATION_TTL)

    def forget(self, contributor_id: uuid.UUID) -> None:
        with self._lock:
            self._seen.pop(contributor_id, None)


def _generations() -> _Generations:
    return current_app.extensions["crowdsource.generations"]


def forget_generation(contributor_id: uuid.UUID) -> None:
    """Drop what this process remembers of the contributor's generation (after a rotation)."""
    _generations().forget(contributor_id)


_GENERATION = "SELECT session_generation FROM contributors WHERE id = %(id)s"


def _stored_generation(contributor_id: uuid.UUID) -> int:
    """The contributor's current session generation (0 for one without a row yet)."""
    remembered = _generations().get(contributor_id)
    if remembered is not None:
        return remembered
    with deps.database().connection() as conn:
        row = conn.execute(_GENERATION, {"id": contributor_id}).fetchone()
    generation = int(row["session_generation"]) if row else 0
    _generations().put(contributor_id, generation)
    return generation


def read_session_value(value: Any) -> tuple[uuid.UUID, int]:
    """(contributor id, generation) from a cookie's signed value: [id, generation], or the id
    alone (cookies from before generations: 0). Raises ValueError or TypeError otherwise."""
    if isinstance(value, str):
        return uuid.UUID(value), 0
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and type(value[1]) is int
        and value[1] >= 0
    ):
        return uuid.UUID(value[0]), value[1]
    raise ValueError("not a session value")


def _refuse(error: CrowdsourceError, *, replaceable: bool = False) -> None:
    """Clear the cookie; on the API refuse the request too (unless `replaceable` and the
    request asks for a new cookie: then it goes on without a session)."""
    g.clear_contributor_cookie = True
    if request.path.startswith("/api/") and not (
        replaceable and request.endpoint in _REPLACES_SESSION
    ):
        raise error


def _read_cookie() -> None:
    raw = request.cookies.get(COOKIE_NAME)
    g.contributor_id = None
    if raw is None:
        return
    try:
        contributor_id, generation = read_session_value(_serializer().loads(raw))
    except (BadSignature, ValueError, TypeError):
        _refuse(
            InvalidSession(
                Text("Your session cookie is not valid, so it has been cleared. Please try again.")
            )
        )
        return
    if (
        not request.path.startswith("/api/")  # a page view reads nothing of the database
        or request.endpoint in _NO_IDENTITY_ENDPOINTS
        or request.blueprint in _NO_IDENTITY_BLUEPRINTS
        or request.endpoint is None
    ):
        g.contributor_id, g.session_generation = contributor_id, generation
        return
    stored = _stored_generation(contributor_id)
    if generation < stored:
        _refuse(
            SessionRevoked(
                Text(
                    "This device no longer has access: the contributor key was replaced on "
                    "another device. Enter the new key to continue as the same contributor."
                )
            ),
            replaceable=True,
        )
        return
    if generation > stored:  # another process rotated; we signed this cookie after it did
        _generations().put(contributor_id, generation)
    g.contributor_id, g.session_generation = contributor_id, generation


def _write_cookie(response: Response) -> Response:
    if g.get("set_contributor_cookie"):
        response.set_cookie(
            COOKIE_NAME,
            _serializer().dumps([str(g.contributor_id), g.get("session_generation", 0)]),
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    elif g.get("clear_contributor_cookie") or (
        # A 401 to a request whose cookie is ours: the person was erased (ErasedContributor).
        response.status_code == 401 and g.get("contributor_id") is not None
    ):
        response.delete_cookie(COOKIE_NAME, httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    """Read the session cookie before each request, write it after."""
    app.extensions["crowdsource.generations"] = _Generations()
    app.before_request(_read_cookie)
    app.after_request(_write_cookie)
