"""JSON API: the session, the person's profile, totals and contributions."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app import deps
from app.audio import stored_refusal
from app.contributors.identity import current_contributor_id, issue_session, require_session
from app.contributors.service import (
    contributor_totals,
    get_profile,
    interface_locale,
    my_contributions,
    profile_options,
    task_totals,
    update_profile,
)
from app.dashboard.ranks import my_ranks
from app.errors_http import error_response
from app.i18n.runtime import translate
from app.inputs import json_body, query_int
from app.security.limits import TOO_MANY, new_session_allowed

bp = Blueprint("contributors", __name__, url_prefix="/api/v1")


@bp.post("/session")
def new_session() -> tuple[Response, int]:
    """A session for this browser: 201 with a new one, 200 when the request has one already;
    429 + Retry-After when the client's address has made too many lately."""
    if current_contributor_id() is not None:
        return jsonify({"session": {"new": False}}), 200
    wait = new_session_allowed()
    if wait is not None:
        response = error_response(429, "rate_limited", TOO_MANY)
        response.headers["Retry-After"] = str(wait)
        return response, 429
    with deps.database().connection() as conn:
        issue_session(conn)
    return jsonify({"session": {"new": True}}), 201


@bp.get("/profile/options")
def options() -> Response:
    with deps.database().connection() as conn:
        return jsonify(profile_options(conn))


@bp.get("/me")
def me() -> Response:
    contributor_id = current_contributor_id()
    with deps.database().connection() as conn:
        return jsonify(
            {
                "profile": get_profile(conn, contributor_id),
                "totals": contributor_totals(conn, contributor_id),
                "tasks": task_totals(conn, contributor_id),
                "interface_locale": interface_locale(conn, contributor_id),
            }
        )


@bp.put("/me/profile")
def save_profile() -> Response:
    changes = json_body()
    contributor_id = require_session()
    with deps.database().connection() as conn:
        return jsonify({"profile": update_profile(conn, contributor_id, changes)})


@bp.get("/me/ranks")
def ranks() -> Response:
    """The caller's positions on the leaderboards, as of the last refresh (empty without a
    session)."""
    with deps.database().connection() as conn:
        return jsonify(my_ranks(conn, current_contributor_id()))


@bp.get("/me/contributions")
def contributions() -> Response:
    page = query_int("page", default=1, minimum=1, maximum=10_000)
    per_page = query_int("per_page", default=20, minimum=1, maximum=100)
    with deps.database().connection() as conn:
        mine = my_contributions(conn, current_contributor_id(), page=page, per_page=per_page)
    for row in mine["contributions"]:
        if row["reason"]:  # a refused upload's reason, kept in English: in the reader's language
            row["reason"] = translate(stored_refusal(row["reason"]))
    return jsonify(mine)
