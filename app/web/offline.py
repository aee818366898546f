"""The service worker's script at the root (/sw.js), so that its scope is the whole app.

The file lives with the other static files (static/sw.js) but is served here: a worker's scope
can be no wider than the folder its script comes from, and its address must not change with
its content (the browser checks that same address for updates).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_from_directory

bp = Blueprint("offline", __name__)


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker script (static/sw.js), never cached unrevalidated."""
    folder = current_app.static_folder
    assert folder is not None  # the app is built with one (app/__init__.py)
    response = send_from_directory(folder, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
