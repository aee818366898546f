"""Request bodies: small everywhere, large only where a recording is uploaded.

The app-wide MAX_CONTENT_LENGTH fits a recording; every other route takes a small JSON body at
most, so it gets a small limit here (werkzeug refuses a larger body with 413 before reading
it). Multipart bodies (files) are accepted only by the upload route: elsewhere they would
only be a way to make the server spool files nobody reads.
"""

from __future__ import annotations

from flask import Flask, request

from app.errors import CrowdsourceError
from app.i18n.text import Text

UPLOAD_ENDPOINTS = frozenset({"speak.upload_recording"})
SMALL_BODY_BYTES = 64 * 1024
_FILE_TYPES = ("multipart/form-data",)


class UnexpectedUpload(CrowdsourceError):
    code = "unsupported_media_type"
    http_status = 415


def limit_body() -> None:
    """Raises UnexpectedUpload for a file upload outside the upload route; lowers the size limit."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        return
    request.max_content_length = SMALL_BODY_BYTES
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in _FILE_TYPES:
        raise UnexpectedUpload(Text("This endpoint takes JSON, not a file upload."))


def init_app(app: Flask) -> None:
    app.before_request(limit_body)
