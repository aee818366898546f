"""Serving the published dashboard files from the bucket when no CDN is configured
(embedded mode). Never touches the database."""

from __future__ import annotations

from flask import Blueprint, Response

from app import deps
from app.errors import InvalidKey, NotFound, ObjectNotFound
from app.i18n.text import Text
from app.storage.base import validate_key
from app.web.compression import COMPRESSIBLE

bp = Blueprint("dashboard_files", __name__)
_COMPRESS_UP_TO = 2 * 1024 * 1024


def _compressible(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip() in COMPRESSIBLE


@bp.get("/public/<path:name>")
def public_file(name: str) -> Response:
    """A published object under the bucket's public/ prefix, with its stored cache headers."""
    key = f"public/{name}"
    try:
        validate_key(key)
        stored = deps.dashboard_storage().open(key)
    except (InvalidKey, ObjectNotFound):
        raise NotFound(
            Text("There is no published file '{name}'.", name=name[:100]), code="not_found"
        ) from None
    if stored.size <= _COMPRESS_UP_TO and _compressible(stored.content_type):
        # Read whole so that app.web.compression can compress it (JSON shrinks ~10×); the
        # larger files and everything else stream as stored.
        response = Response(b"".join(stored.chunks), mimetype=stored.content_type)
    else:
        response = Response(stored.chunks, mimetype=stored.content_type, direct_passthrough=True)
        response.headers["Content-Length"] = str(stored.size)
    response.headers["Cache-Control"] = stored.cache_control or "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
