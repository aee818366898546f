"""JSON API for languages."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app import deps
from app.languages.service import list_languages

bp = Blueprint("languages", __name__, url_prefix="/api/v1")


@bp.get("/languages")
def languages() -> Response:
    with deps.database().connection() as conn:
        return jsonify({"languages": list_languages(conn)})
