"""JSON API: the person's profile, totals and contributions."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app import deps
from app.contributors.identity import contributor_id_for_write, current_contributor_id
from app.contributors.service import (
    contributor_totals,
    get_profile,
    my_contributions,
    profile_options,
    update_profile,
)
from app.inputs import json_body, query_int

bp = Blueprint("contributors", __name__, url_prefix="/api/v1")


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
            }
        )


@bp.put("/me/profile")
def save_profile() -> Response:
    changes = json_body()
    contributor_id = contributor_id_for_write()
    with deps.database().connection() as conn:
        return jsonify({"profile": update_profile(conn, contributor_id, changes)})


@bp.get("/me/contributions")
def contributions() -> Response:
    page = query_int("page", default=1, minimum=1, maximum=10_000)
    per_page = query_int("per_page", default=20, minimum=1, maximum=100)
    with deps.database().connection() as conn:
        return jsonify(
            my_contributions(conn, current_contributor_id(), page=page, per_page=per_page)
        )
