"""JSON API of a person's progress: badges, streak, milestones, weekly goals (issue #20)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app import deps
from app.contributors.identity import current_contributor_id, require_session
from app.inputs import json_body
from app.progress.service import resolve_time_zone
from app.progress.summary import check_goals, progress_summary, set_goals
from app.progress.zones import request_time_zone

bp = Blueprint("progress", __name__, url_prefix="/api/v1")


@bp.get("/me/progress")
def my_progress() -> Response:
    """What this person has earned and this week's goals; zeros without a session. A read:
    nothing is awarded or stored here."""
    contributor_id = current_contributor_id()
    with deps.database().connection() as conn:
        zone = (
            resolve_time_zone(conn, contributor_id, request_time_zone())
            if contributor_id is not None
            else request_time_zone() or "UTC"
        )
        return jsonify(progress_summary(conn, contributor_id, zone))


@bp.put("/me/goals")
def put_goals() -> Response:
    """Set or remove (null) weekly goals per task: {"speak": 20, "transcribe": null}; the
    answer is the person's progress, goals included."""
    contributor_id = require_session()
    goals = check_goals(json_body())
    with deps.database().connection() as conn:
        set_goals(conn, contributor_id, goals)
        zone = resolve_time_zone(conn, contributor_id, request_time_zone())
        return jsonify(progress_summary(conn, contributor_id, zone))
