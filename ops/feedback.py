"""`crowdsource feedback list | export`: what volunteers told the team through the feedback
form (app/feedback/service.py). Neither shows who sent it: only whether the sender had a
session."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from datetime import UTC
from pathlib import Path
from typing import Any

import click

from app.feedback.service import EXPORT_COLUMNS, all_feedback, latest_feedback
from ops.operator import printable, transaction


@click.group()
def feedback() -> None:
    """Read the feedback volunteers sent: list the newest, or export it all as CSV."""


@feedback.command("list")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="How many, newest first.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(limit: int, as_json: bool) -> None:
    """The newest feedback, newest first."""
    with transaction() as (conn, _settings):
        rows = latest_feedback(conn, limit)
    if as_json:
        click.echo(json.dumps({"feedback": [_as_json(row) for row in rows]},
                              ensure_ascii=False, indent=2))  # fmt: skip
        return
    if not rows:
        click.echo("no feedback yet")
        return
    click.echo(f"{'id':>6}  {'sent (UTC)':<16}  {'category':<10}  {'rating':>6}  "
               f"{'recommend':<9}  {'return':<6}  {'task':<10}  {'lang':<4}  {'session':<7}  "
               "page / message")  # fmt: skip
    for row in rows:
        sent = row["created_at"].astimezone(UTC)
        click.echo(
            f"{row['id']:>6}  {sent:%Y-%m-%d %H:%M}  {row['category']:<10}  "
            f"{_or_dash(row['rating']):>6}  {_or_dash(row['would_recommend']):<9}  "
            f"{_or_dash(row['would_return']):<6}  {_or_dash(row['task']):<10}  "
            f"{_or_dash(row['language']):<4}  {'yes' if row['had_session'] else 'no':<7}  "
            f"{printable(row['page'] or '-', 40)} / {printable(row['message'], 60)}"
        )


def _or_dash(value: Any) -> str:
    return "-" if value is None else str(value)


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{column: row[column] for column in EXPORT_COLUMNS},
        "created_at": row["created_at"].astimezone(UTC).isoformat(),
        "page": printable(row["page"]) if row["page"] is not None else None,
        "message": printable(row["message"]),
    }


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


@feedback.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export(file: Path) -> None:
    """Write every feedback row to FILE as CSV (UTF-8, a header row, oldest first): id,
    created_at, category, rating, would_recommend, would_return, task, language, page,
    had_session, message. Contributor ids are never exported. A text that a spreadsheet would
    run as a formula (starting with = + - @) is written with a ' in front. FILE is replaced
    whole, or left as it was if the export fails."""
    target = file.resolve()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    written = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(EXPORT_COLUMNS)
            with transaction() as (conn, _settings):
                for row in all_feedback(conn):
                    values = {**row, "created_at": row["created_at"].astimezone(UTC).isoformat(),
                              "had_session": "yes" if row["had_session"] else "no"}  # fmt: skip
                    writer.writerow([_cell(values[column]) for column in EXPORT_COLUMNS])
                    written += 1
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    click.echo(f"{written} feedback row{'' if written == 1 else 's'} written to {file}")
