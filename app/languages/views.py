"""JSON API for languages."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app.languages.cached import active_languages

bp = Blueprint("languages", __name__, url_prefix="/api/v1")


@bp.get("/languages")
def languages() -> Response:
    return jsonify({"languages": active_languages()})
