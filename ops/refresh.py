"""`crowdsource refresh [--every 4h]`: recompute the dashboard views and publish their JSON."""

from __future__ import annotations

import re
import time

import click

from app.dashboard.refresh import refresh_dashboard
from app.errors import CrowdsourceError
from ops.context import (
    checked_dashboard_storage,
    checked_storage,
    connect_database,
    settings_from_environment,
)

_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """'4h', '30m', '90s', '1d' or '1h30m' as seconds; raises click.BadParameter."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise click.BadParameter(f"{text!r} is not a duration like 4h, 30m or 90s")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds < 10:
        raise click.BadParameter("refreshing more often than every 10 s is not useful")
    return seconds


@click.command()
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(0, 3600),
    default=0,
    show_default=True,
    help="Seconds to wait for a refresh already running (then do nothing).",
)
@click.option(
    "--every",
    "every",
    metavar="DURATION",
    help="Keep running, refreshing every DURATION (e.g. 4h); for embedded mode.",
)
def refresh(wait_seconds: float, every: str | None) -> None:
    """Refresh the dashboard's materialized views and publish them as JSON in the bucket."""
    interval = parse_duration(every) if every else None
    settings = settings_from_environment()
    url = connect_database(settings)
    recordings = checked_storage(settings, batch=True)  # where the erasures' tombstones are
    storage = checked_dashboard_storage(settings, recordings)
    if interval is None:
        refresh_dashboard(
            url, storage, wait_seconds=wait_seconds, report=click.echo, recordings=recordings
        )
        return
    click.echo(f"refreshing every {every}; Ctrl+C stops")
    while True:
        started = time.monotonic()
        try:
            refresh_dashboard(
                url, storage, wait_seconds=wait_seconds, report=click.echo, recordings=recordings
            )
        except CrowdsourceError as exc:  # keep going: the next run may succeed
            click.echo(f"crowdsource: error: {exc.message}", err=True)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
