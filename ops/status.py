"""`crowdsource status`: the health of a deployment from the SRE's seat, in one screen.

Database (reachable, migration level), storage (reachable), the dashboard refresh (last
success and its age), contributions in the last hour and day, and what waits per language.
Everything that can be read is printed even when something else is down; the exit status is
2 when the database has no schema (or is behind the code), as for every command, 1 when the
database or storage is unreachable, 0 otherwise (warnings do not change it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import click

from app.dashboard.refresh import last_refresh
from app.db import Database, describe_db_error
from app.db.migrations import Migrator, SchemaNotReady
from app.errors import CrowdsourceError
from app.settings import Settings
from app.stats.service import queue_depths, recent_contributions
from ops.context import checked_storage, connect_database, settings_from_environment

STALE_AFTER_HOURS = 8  # the refresh runs every 4 h; two missed runs is an alert


@dataclass
class Check:
    name: str
    state: str  # ok | warn | fail
    detail: str


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    activity: dict[str, int] = field(default_factory=dict)
    queues: list[dict[str, Any]] = field(default_factory=list)
    schema_not_ready: bool = False  # reachable, but `crowdsource migrate up` comes first

    @property
    def healthy(self) -> bool:
        return all(check.state != "fail" for check in self.checks)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def status(as_json: bool) -> None:
    """Print the health of this deployment: database, migrations, storage, dashboard
    refresh, recent contributions and queue depths per language. Exits 2 if the database has
    no schema (or is behind), 1 if the database or storage is unreachable."""
    settings = settings_from_environment()
    report = gather(settings)
    if as_json:
        click.echo(json.dumps(_as_dict(report), indent=2, ensure_ascii=False))
    else:
        _print(report)
    if report.schema_not_ready:
        raise click.exceptions.Exit(2)
    if not report.healthy:
        raise click.exceptions.Exit(1)


def gather(settings: Settings) -> Report:
    """Every check, each on its own: one failing does not hide the others."""
    report = Report()
    report.checks.append(_storage_check(settings))
    try:
        url = connect_database(settings)
    except CrowdsourceError as exc:
        report.checks.insert(0, Check("database", "fail", exc.message))
        report.schema_not_ready = isinstance(exc, SchemaNotReady)
        return report
    try:
        report.checks.insert(0, _migrations_check(url))
        database = Database(url, settings)
        try:
            with database.connection() as conn:
                report.checks.append(_refresh_check(last_refresh(conn)))
                report.activity = recent_contributions(conn)
                report.queues = queue_depths(conn, report_limit=settings.reports_to_hide)
        finally:
            database.close()
    except (CrowdsourceError, OSError) as exc:
        message = exc.message if isinstance(exc, CrowdsourceError) else describe_db_error(exc)
        report.checks.insert(0, Check("database", "fail", message))
    return report


def _migrations_check(url: str) -> Check:
    steps = Migrator(url).status()
    applied = [s for s in steps if s.state == "applied"]
    pending = [s for s in steps if s.state == "pending"]
    odd = [s for s in steps if s.state in ("changed", "missing")]
    level = applied[-1].version if applied else "none"
    detail = f"reachable; migrations at {level} ({len(applied)} applied, {len(pending)} pending)"
    if odd:
        detail += "; " + ", ".join(f"{s.version} {s.state}" for s in odd)
    return Check("database", "warn" if pending or odd else "ok", detail)


def _storage_check(settings: Settings) -> Check:
    try:
        checked_storage(settings)
    except CrowdsourceError as exc:
        return Check("storage", "fail", exc.message)
    where = settings.local_storage_dir if settings.storage_backend == "local" else (
        settings.bucket_name
    )  # fmt: skip
    return Check("storage", "ok", f"reachable ({settings.storage_backend}: {where})")


def _refresh_check(refresh: dict[str, Any] | None) -> Check:
    if refresh is None:
        return Check("dashboard", "warn", "never refreshed (run `crowdsource refresh`)")
    finished: datetime = refresh["finished_at"] or refresh["started_at"]
    age_hours = (datetime.now(UTC) - finished).total_seconds() / 3600
    seconds = sum(int(step["ms"]) for step in refresh["steps"] or []) / 1000
    detail = (
        f"last refresh {finished.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {_age(age_hours)} ago, "
        f"took {seconds:.1f} s (version {refresh['version']})"
    )
    return Check("dashboard", "warn" if age_hours > STALE_AFTER_HOURS else "ok", detail)


def _age(hours: float) -> str:
    if hours < 1:
        return f"{hours * 60:.0f} min"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def _print(report: Report) -> None:
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    for check in report.checks:
        click.echo(f"{check.name:<10} {marks[check.state]}  {check.detail}")
    if report.activity:
        click.echo(
            f"{'activity':<10}       {report.activity['last_hour']} recordings in the last "
            f"hour, {report.activity['last_day']} in the last day"
        )
    waiting = [q for q in report.queues if q["to_record"] or q["to_validate"]]
    if report.queues:
        click.echo(f"{'queues':<10}       language  to record  to validate")
        for row in waiting:
            click.echo(
                f"{'':<17}{row['language']:<9} {row['to_record']:>9}  {row['to_validate']:>11}"
            )
        idle = len(report.queues) - len(waiting)
        if idle:
            click.echo(f"{'':<17}({idle} other open languages have nothing waiting)")


def _as_dict(report: Report) -> dict[str, Any]:
    return {
        "healthy": report.healthy,
        "checks": [check.__dict__ for check in report.checks],
        "activity": report.activity,
        "queues": report.queues,
    }
