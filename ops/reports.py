"""`crowdsource reports list | restore | remove`: the review queue of what reports hid, and the
operator's decision on each item (app/reports/review.py)."""

from __future__ import annotations

import json
from typing import Any

import click

from app.reports.review import Decision, remove, restore, review_queue
from app.reports.service import TARGETS
from ops.operator import plural, printable, transaction


@click.group()
def reports() -> None:
    """Review what reports hid: list it, restore it or remove it."""


@reports.command("list")
@click.option("--all", "everything", is_flag=True,
              help="Also items with open reports that hid nothing (too few, or from sessions "
                   "without a track record).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, notes included.")
def list_(everything: bool, as_json: bool) -> None:
    """The review queue: items hidden by reports (REPORTS_TO_HIDE), most reported first."""
    with transaction() as (conn, settings):
        rows = review_queue(conn, settings.reports_to_hide, everything, with_notes=as_json)
    if as_json:
        click.echo(json.dumps({"reports_to_hide": settings.reports_to_hide,
                               "items": [_as_json(row) for row in rows]},
                              ensure_ascii=False, indent=2))  # fmt: skip
        return
    if not rows:
        click.echo("nothing waiting for review")
        return
    click.echo(f"{'target':<9}  {'id':<36}  {'lang':<4}  {'state':<7}  {'reports':>7}  "
               f"{'counted':>7}  {'notes':>5}  reasons / text")  # fmt: skip
    for row in rows:
        reasons = ", ".join(f"{reason} {n}" for reason, n in row["reasons"].items())
        click.echo(
            f"{row['target']:<9}  {row['id']:<36}  {row['language']:<4}  "
            f"{'hidden' if row['hidden'] else 'shown':<7}  {row['open_reports']:>7}  "
            f"{row['counted_reports']:>7}  {row['notes']:>5}  {reasons} / "
            f"{printable(row['sentence'], 60)}"
        )
    hidden = sum(row["hidden"] for row in rows)
    click.echo(f"{hidden} hidden, waiting for review; {len(rows) - hidden} with reports that "
               "hid nothing" if everything else f"{hidden} hidden, waiting for review")  # fmt: skip


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "target": row["target"], "id": row["id"], "language": row["language"],
        "sentence": printable(row["sentence"]), "status": row["status"],
        "hidden": row["hidden"], "report_count": row["report_count"],
        "open_reports": row["open_reports"], "counted_reports": row["counted_reports"],
        "reasons": row["reasons"], "notes": [printable(n) for n in row.get("notes_text", [])],
        "first_reported_at": row["first_reported_at"].isoformat(),
    }  # fmt: skip


_TARGET = click.Choice(TARGETS)


@reports.command("restore")
@click.argument("target", type=_TARGET)
@click.argument("item_id", metavar="ID")
def restore_(target: str, item_id: str) -> None:
    """The reports were wrong: dismiss them and put the item back in the queues (a removed
    item comes back too). TARGET: recording or contribution (by public id), sentence or item
    (by id)."""
    with transaction() as (conn, settings):
        decision = restore(conn, target, item_id, settings.votes_to_decide)
    _echo(decision)


@reports.command("remove")
@click.argument("target", type=_TARGET)
@click.argument("item_id", metavar="ID")
def remove_(target: str, item_id: str) -> None:
    """The reports were right: take the item out for good (a recording or a typed
    contribution out of every queue, verdict and export; a sentence or other item inactive)
    and resolve its reports. TARGET: recording or contribution (by public id), sentence or
    item (by id)."""
    with transaction() as (conn, settings):
        decision = remove(conn, target, item_id, settings.votes_to_decide)
    _echo(decision)


def _echo(decision: Decision) -> None:
    what = f"{decision.target} {decision.id} ({decision.language})"
    verb = "dismissed" if decision.action == "restored" else "resolved"
    if not decision.changed:
        state = "in the queues" if decision.action == "restored" else "already removed"
        click.echo(f"{what}: nothing to do, {state} ({decision.status})")
        return
    where = "back in the queues" if decision.action == "restored" else "out of the queues for good"
    click.echo(
        f"{decision.action} {what}: {plural(decision.reports_closed, 'report')} {verb}, {where} "
        f"({decision.status})"
    )
