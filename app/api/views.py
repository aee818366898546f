"""The API's own description: /api/v1/openapi.json."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app.api.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())
