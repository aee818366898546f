"""`crowdsource sweep`: remove objects no row references, report rows whose object is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
import psycopg
from psycopg.rows import dict_row

from app.sweep import SWEPT_PREFIXES, Reference, SweepResult, check_sweep_prefixes, sweep_orphans
from ops.context import (
    checked_storage,
    confirm_destructive,
    connect_database,
    settings_from_environment,
)

DEFAULT_GRACE_HOURS = 24.0


@click.command()
@click.option(
    "--grace",
    "grace_hours",
    type=click.FloatRange(min=0),
    default=DEFAULT_GRACE_HOURS,
    show_default=True,
    metavar="HOURS",
    help="Leave orphans younger than this alone (an upload writes its object before its row).",
)
@click.option("--dry-run", is_flag=True, help="Report what would be removed; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask (needed without --dry-run off a terminal).")
@click.option(
    "--prefix",
    "prefixes",
    multiple=True,
    metavar="PREFIX",
    help=f"Sweep only under PREFIX (repeatable; under {', '.join(SWEPT_PREFIXES)}). "
    "Default: all of them.",
)
def sweep(grace_hours: float, dry_run: bool, yes: bool, prefixes: tuple[str, ...]) -> None:
    """Remove orphaned recordings and media from storage; report rows whose object is missing.

    An orphan is an object under recordings/ or media/ that no contribution or dataset row
    references and that was last written more than --grace hours ago. Rows whose object is
    missing are only reported (one line each, with table and id), never deleted. Nothing
    outside recordings/ and media/ (such as the published dashboard) is ever touched.
    Exits 0 when the sweep completes, whatever it found. Without --dry-run it deletes, so it
    asks first on a terminal and needs --yes otherwise.
    """
    chosen = check_sweep_prefixes(prefixes or SWEPT_PREFIXES)
    if grace_hours < 1:
        click.echo(
            "crowdsource: warning: a grace under 1 hour may remove uploads still in flight",
            err=True,
        )
    settings = settings_from_environment()
    url = connect_database(settings)
    storage = checked_storage(settings, batch=True)
    if not dry_run:
        confirm_destructive(
            f"delete orphaned objects under {', '.join(chosen)} older than {grace_hours:g} h",
            yes,
        )
    # Fixed before the database snapshot is taken: see app/sweep/service.py for why.
    cutoff = datetime.now(UTC) - timedelta(hours=grace_hours)
    verb = "would remove" if dry_run else "removed"

    def on_orphan(key: str) -> None:
        click.echo(f"{verb} orphan {key}")

    def on_missing(ref: Reference) -> None:
        click.echo(f"missing object {ref.key} (referenced by {ref.source} id {ref.row_id})")

    with psycopg.connect(url, row_factory=dict_row) as conn:
        result = sweep_orphans(
            conn,
            storage,
            prefixes=chosen,
            cutoff=cutoff,
            dry_run=dry_run,
            on_orphan=on_orphan,
            on_missing=on_missing,
        )
    click.echo(_summary(result, chosen, grace_hours, dry_run))


def _summary(result: SweepResult, prefixes: list[str], grace_hours: float, dry_run: bool) -> str:
    removed = "would be removed" if dry_run else "removed"
    return (
        f"{'dry run: ' if dry_run else ''}swept {', '.join(prefixes)}: "
        f"{result.scanned:,} objects scanned, {result.referenced:,} referenced, "
        f"{result.removed:,} orphans {removed}, "
        f"{result.fresh_orphans:,} orphans kept (younger than {grace_hours:g} h), "
        f"{result.missing:,} rows with a missing object"
    )
