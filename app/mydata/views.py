"""Your data, your call: download everything as a zip, or have it erased; and the page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, render_template, request, stream_with_context

from app import deps
from app.contributors.identity import require_session
from app.contributors.tombstones import erase_on_request
from app.errors import CrowdsourceError
from app.i18n.text import Text
from app.inputs import json_body
from app.mydata.export import read_my_data, zip_chunks
from app.mydata.readme import readme_text

bp = Blueprint("mydata", __name__)

CONFIRMATION = "delete my data"
REMOVED_COUNTS = (
    "recordings", "contributions", "votes_anonymised", "reports_anonymised", "achievements",
    "certificates", "objects_deleted",
)  # fmt: skip


class ConfirmationRequired(CrowdsourceError):
    code = "confirmation_required"
    http_status = 422


@bp.get("/my-data")
def page() -> str:
    """The "Your data" page: download it, or erase it after confirming."""
    return render_template("my_data.html", active="my-data", confirmation=CONFIRMATION)


@bp.get("/api/v1/me/export")
def export() -> Response:
    """The person's data as a zip, streamed as it is made (413 export_too_large past the
    bound, before anything is sent)."""
    contributor_id = require_session()
    with deps.database().connection() as conn:
        data = read_my_data(
            conn, contributor_id, max_bytes=deps.settings().my_data_export_max_bytes
        )
    chunks = zip_chunks(data, deps.storage(), readme_text)
    response = Response(stream_with_context(chunks), mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="my-crowdsource-data.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/api/v1/me")
def delete_me() -> Response:
    """Erase the person (app/contributors/tombstones.py) once they have typed the
    confirmation; answer what was removed and clear the session cookie."""
    body: dict[str, Any] = json_body() if request.get_data(cache=True) else {}
    contributor_id = require_session()
    if body.get("confirm") != CONFIRMATION:
        raise ConfirmationRequired(
            Text('To erase your data, send "confirm": "{token}".', token=CONFIRMATION),
            field="confirm",
        )
    with deps.database().connection() as conn:
        removed = erase_on_request(conn, deps.storage(), contributor_id, "volunteer") or {}
    g.clear_contributor_cookie = True
    return jsonify(
        {
            "erased": True,
            "already_erased": bool(removed.get("already_erased")),
            "removed": {
                **{name: int(removed.get(name, 0)) for name in REMOVED_COUNTS},
                "objects_failed": len(removed.get("objects_failed") or []),
            },
        }
    )
