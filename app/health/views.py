"""Probes for orchestrators: /healthz (the process answers) and /readyz (dependencies answer)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app import deps
from app.errors import CrowdsourceError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """200 when the database and storage both answer; 503 with the failing checks otherwise."""
    checks: dict[str, str] = {}
    try:
        with deps.database().connection() as conn:
            conn.execute("SELECT 1")
        checks["database"] = "ok"
    except CrowdsourceError as exc:
        checks["database"] = exc.message
    except Exception as exc:  # any driver error means "not ready", never a 500
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        deps.storage().check()
        checks["storage"] = "ok"
    except CrowdsourceError as exc:
        checks["storage"] = exc.message
    except Exception as exc:
        checks["storage"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    response = jsonify({"status": "ready" if ready else "unavailable", "checks": checks})
    if not ready:
        response.status_code = 503
        response.headers["Retry-After"] = "5"
    return response
