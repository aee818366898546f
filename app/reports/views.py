"""JSON API: reporting a sentence or a recording (refusals in the reader's language, `Text`)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app import deps
from app.contributors.identity import require_session
from app.i18n.text import Text
from app.inputs import InvalidField, MissingField, json_body, required_choice
from app.reports.service import REASONS, TARGETS, file_report

bp = Blueprint("reports", __name__, url_prefix="/api/v1")


@bp.post("/reports")
def report() -> tuple[Response, int]:
    reporter = require_session()
    body = json_body()
    target = required_choice(body.get("target"), "target", TARGETS)
    reason = required_choice(body.get("reason"), "reason", REASONS)
    if body.get("id") in (None, ""):
        raise MissingField(Text("'id' is required."), field="id")
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise InvalidField(Text("'note' must be text."), field="note")
    note = " ".join(note.split()) if note else None
    if note is not None and len(note) > 500:
        # Translators: 'note' is the name of a field of the request; keep it as it is.
        raise InvalidField(Text("'note' can be at most 500 characters long."), field="note")
    with deps.database().connection() as conn:
        created = file_report(conn, reporter, target, body["id"], reason, note)
    return jsonify({"reported": True}), 201 if created else 200
