"""Anonymous identity: a random contributor id in a signed, HttpOnly cookie.

The cookie is read before each request; a write that needs an identity calls
`contributor_id_for_write`, which makes one if there is none. A cookie whose signature fails
is cleared; on the API it is refused with 400 so a client never acts under a forged id.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

from app.errors import BadRequest

COOKIE_NAME = "cs_id"
COOKIE_MAX_AGE = 2 * 365 * 24 * 3600


class InvalidSession(BadRequest):
    code = "invalid_session"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="crowdsource.contributor")


def current_contributor_id() -> uuid.UUID | None:
    """The id from this request's cookie, or None for a new visitor."""
    return g.get("contributor_id")


def contributor_id_for_write() -> uuid.UUID:
    """The current id, or a new random one that the response will set as the cookie."""
    contributor_id = current_contributor_id()
    if contributor_id is None:
        contributor_id = uuid.uuid4()
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
                "Your session cookie is not valid, so it has been cleared. Please try again."
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
    elif g.get("clear_contributor_cookie"):
        response.delete_cookie(COOKIE_NAME, httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_read_cookie)
    app.after_request(_write_cookie)
