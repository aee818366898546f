"""Probes for orchestrators: /healthz (the process answers) and /readyz (dependencies answer)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from app import deps
from app.db.migrations import SchemaNotReady, schema_problem
from app.health.checks import BoundedCheck

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """200 when the database and storage both answer within the deadline and the schema is at
    the level the code needs; 503 with the failing checks otherwise."""
    checks = {check.name: check.run() for check in _readiness_checks()}
    ready = all(value == "ok" for value in checks.values())
    response = jsonify({"status": "ready" if ready else "unavailable", "checks": checks})
    if not ready:
        response.status_code = 503
        response.headers["Retry-After"] = "5"
    return response


def _readiness_checks() -> tuple[BoundedCheck, ...]:
    """The app's checks, made once (each keeps track of its attempt in flight)."""
    found = current_app.extensions.get("crowdsource.readiness")
    if found is None:
        database, storage = deps.database(), deps.storage()

        def database_answers() -> None:
            with database.connection() as conn:
                conn.execute("SELECT 1")

        # Once ready it stays so (cached): a live server is never migrated down (see
        # `migrate down`, which refuses while one holds the database).
        schema_seen_ready: list[bool] = []

        def schema_is_current() -> None:
            if schema_seen_ready:
                return
            with database.connection() as conn:
                problem = schema_problem(conn)
            if problem:
                raise SchemaNotReady(problem)
            schema_seen_ready.append(True)

        found = current_app.extensions.setdefault(
            "crowdsource.readiness",
            (
                BoundedCheck("database", database_answers),
                BoundedCheck("schema", schema_is_current),
                BoundedCheck("storage", storage.check),
            ),
        )
    return found
