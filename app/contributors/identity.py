"""Sessions: a random contributor id in a signed, HttpOnly cookie, issued before any influence.

A session is issued by a page view or by `POST /api/v1/session`, never by a write: every write
calls `require_session`, which answers 401 `no_session` when the request carries none. Issuing
one costs the client a request and counts against its address's new-session limit
(`app.security.limits.new_session_allowed`), so identities are no longer free: a script that
drops its cookie has to come back for a new one, and soon waits.

The cookie is read before each request. A cookie whose signature fails is cleared; on the API
it is refused with 401 so a client never acts under a forged id.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

from app.contributors.service import ensure_contributor
from app.db import Conn
from app.errors import CrowdsourceError
from app.i18n.text import Text

COOKIE_NAME = "cs_id"
COOKIE_MAX_AGE = 2 * 365 * 24 * 3600


class InvalidSession(CrowdsourceError):
    """A session cookie whose signature fails: a credential we did not issue (401)."""

    code = "invalid_session"
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
    g.contributor_id = contributor_id
    g.set_contributor_cookie = True
    return contributor_id


def _read_cookie() -> None:
    raw = request.cookies.get(COOKIE_NAME)
    g.contributor_id = None
    if raw is None:
        return
    try:
        g.contributor_id = uuid.UUID(str(_serializer().loads(raw)))
    except (BadSignature, ValueError, TypeError):
        g.clear_contributor_cookie = True
        if request.path.startswith("/api/"):
            raise InvalidSession(
                Text("Your session cookie is not valid, so it has been cleared. Please try again.")
            ) from None


def _write_cookie(response: Response) -> Response:
    if g.get("set_contributor_cookie"):
        response.set_cookie(
            COOKIE_NAME,
            _serializer().dumps(str(g.contributor_id)),
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
    app.before_request(_read_cookie)
    app.after_request(_write_cookie)
