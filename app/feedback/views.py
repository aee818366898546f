"""JSON API: the feedback form (refusals in the sender's language, `Text`). No session is
needed; the address's rate limit (app/security/limits.py) still applies."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app import deps
from app.contributors.identity import current_contributor_id
from app.feedback.service import check_feedback, store_feedback
from app.inputs import json_body

bp = Blueprint("feedback", __name__, url_prefix="/api/v1")


@bp.post("/feedback")
def send_feedback() -> tuple[Response, int]:
    body = json_body()
    with deps.database().connection() as conn:
        feedback = check_feedback(conn, body)
        feedback_id = store_feedback(conn, feedback, current_contributor_id())
    return jsonify({"feedback": {"id": feedback_id}}), 201
