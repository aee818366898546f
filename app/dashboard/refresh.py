"""The dashboard refresh: first make every erasure hold (app/contributors/tombstones.py: a
person erased and brought back by a restore is erased again, so no published document counts
them); then refresh the materialized views CONCURRENTLY, in dependency order,
under an advisory lock; then publish their content as JSON (see publish.py), with the
agreement between validators per language (app/stats/agreement.py).

Each run is recorded in `dashboard_refreshes` with the time every step took.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from app.contribute.opening import made_from_recordings
from app.contributors.tombstones import reapply_erasures
from app.dashboard.documents import build_documents
from app.dashboard.publish import prune_old_versions, publish
from app.db import Conn, describe_db_error
from app.errors import CrowdsourceError, DatabaseUnavailable
from app.stats.agreement import agreement_by_language
from app.storage import Storage
from app.validate.trust import prune_servings

# Level 1 reads the transactional tables; level 2 reads level 1. Order matters.
VIEWS = (
    "dashboard_speakers",
    "dashboard_validators",
    "dashboard_daily",
    "dashboard_language_totals",
    "dashboard_overall",
    "dashboard_demographics",
    "dashboard_ranks",
    "dashboard_tasks",
)
ADVISORY_LOCK_KEY = 0x63726F7764_02  # "crowd", lock #2 (#1 is migrations)


class RefreshFailed(CrowdsourceError):
    code = "refresh_failed"
    http_status = 500


@dataclass
class RefreshResult:
    version: str
    generated_at: str
    steps: list[dict[str, object]] = field(default_factory=list)

    @property
    def total_ms(self) -> int:
        return sum(int(step["ms"]) for step in self.steps)  # type: ignore[call-overload]


def refresh_dashboard(
    database_url: str,
    storage: Storage,
    *,
    wait_seconds: float = 0.0,
    report: Callable[[str], None] = lambda line: None,
    recordings: Storage | None = None,
) -> RefreshResult | None:
    """Refresh the views and publish a new version; return None (after saying so) when another
    refresh holds the lock for longer than `wait_seconds`. The erasures' tombstones are read
    from `recordings` (the recordings storage; default `storage`, when the dashboard is
    published there too).

    Raises DatabaseUnavailable when the database cannot be reached, RefreshFailed when a step
    fails (the run is recorded as failed and the published dashboard is left as it was).
    """
    try:
        conn: Conn = psycopg.connect(database_url, autocommit=True, row_factory=dict_row)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot connect to the database: {describe_db_error(exc)}"
        ) from None
    with conn:
        # The level-1 views sort and hash millions of rows: let them do it in memory.
        conn.execute("SET work_mem = '64MB'")
        if not _lock(conn, wait_seconds):
            report("another refresh is running; this one did nothing")
            return None
        try:
            return _run(conn, storage, recordings or storage, report)
        finally:
            if not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def _lock(conn: Conn, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (ADVISORY_LOCK_KEY,)).fetchone()
        if row and row["ok"]:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def _run(
    conn: Conn, storage: Storage, recordings: Storage, report: Callable[[str], None]
) -> RefreshResult:
    now = datetime.now(UTC)
    result = RefreshResult(
        # Versions sort by time (refreshes never overlap, so microseconds make them unique).
        version=f"{now:%Y%m%d-%H%M%S-%f}",
        generated_at=now.isoformat(timespec="seconds"),
    )
    run = conn.execute("INSERT INTO dashboard_refreshes DEFAULT VALUES RETURNING id").fetchone()
    assert run is not None
    step = "start"
    try:
        step = "erasures"
        with _timed(result, step, report):
            for who in reapply_erasures(conn, recordings):
                report(f"erased again: contributor {who} (a tombstone outlived their erasure)")
        for view in VIEWS:
            step = view
            with _timed(result, view, report):
                conn.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {view}")  # names are ours
        # Where a language asks for it, the recordings accepted since become clips to
        # transcribe (the views count them from the next refresh).
        step = "clips from recordings"
        with _timed(result, step, report):
            made_from_recordings(conn)
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # Read from the votes themselves (no view holds them), in the snapshot the views
            # are read in.
            step = "agreement"
            with _timed(result, step, report):
                agreement = agreement_by_language(conn)
            step = "read views"
            with _timed(result, step, report):
                documents = build_documents(conn, agreement)
        step = "publish"
        with _timed(result, step, report):
            publish(storage, result.version, result.generated_at, documents)
            prune_old_versions(storage, current=result.version)
        step = "prune servings"
        with _timed(result, step, report):
            prune_servings(conn)
    except (psycopg.Error, CrowdsourceError) as exc:
        reason = exc.message if isinstance(exc, CrowdsourceError) else describe_db_error(exc)
        _finish(conn, run["id"], result, status="failed", error=f"{step}: {reason}")
        raise RefreshFailed(f"dashboard refresh failed at step '{step}': {reason}") from None
    _finish(conn, run["id"], result, status="succeeded")
    report(f"published dashboard version {result.version} ({result.total_ms} ms in all)")
    return result


class _timed:
    """Context manager that appends {"name", "ms"} to the result and reports the step."""

    def __init__(self, result: RefreshResult, name: str, report: Callable[[str], None]) -> None:
        self.result, self.name, self.report = result, name, report

    def __enter__(self) -> None:
        self.started = time.monotonic()

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            ms = round((time.monotonic() - self.started) * 1000)
            self.result.steps.append({"name": self.name, "ms": ms})
            self.report(f"{self.name:<28} {ms:>7} ms")


def _finish(
    conn: Conn, run_id: int, result: RefreshResult, *, status: str, error: str | None = None
) -> None:
    # If the database went away mid-run, the error being raised says more than this row could.
    with contextlib.suppress(psycopg.Error):
        conn.execute(
            """UPDATE dashboard_refreshes
                  SET finished_at = now(), status = %s, version = %s, steps = %s, error = %s
                WHERE id = %s""",
            (status, result.version if status == "succeeded" else None, Jsonb(result.steps),
             error, run_id),
        )  # fmt: skip


def last_refresh(conn: Conn) -> dict[str, object] | None:
    """The newest successful refresh (when, version, steps), for status pages and checks."""
    return conn.execute(
        "SELECT started_at, finished_at, version, steps FROM dashboard_refreshes"
        " WHERE status = 'succeeded' ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
