"""`crowdsource languages list | set CODE`: which languages are open, and their recording caps."""

from __future__ import annotations

import click

from app.db import Database
from app.languages.service import configure_language, language_settings
from ops.context import connect_database, settings_from_environment


def _database() -> Database:
    settings = settings_from_environment()
    return Database(connect_database(settings), settings)


@click.group()
def languages() -> None:
    """List languages and change their settings."""


@languages.command("list")
def list_() -> None:
    """Every language with its script, whether it is open, and its recording cap."""
    database = _database()
    with database.connection() as conn:
        rows = language_settings(conn)
    database.close()
    click.echo(f"{'code':<5} {'name':<12} {'script':<6} {'open':<5} {'cap':<4} goal (h)")
    for row in rows:
        is_open = "yes" if row["is_active"] else "no"
        click.echo(
            f"{row['code']:<5} {row['name']:<12} {row['script']:<6} {is_open:<5} "
            f"{row['max_recordings_per_item']:<4} {row['goal_hours'] or '-'}"
        )


@languages.command("set")
@click.argument("code")
@click.option("--open/--closed", "active", default=None, help="Open or close for contributions.")
@click.option("--max-recordings", type=int, help="Recordings wanted per sentence (1-100).")
@click.option("--goal-hours", type=int, help="Validated hours the dashboard counts towards.")
def set_(
    code: str, active: bool | None, max_recordings: int | None, goal_hours: int | None
) -> None:
    """Change the settings of language CODE."""
    if active is None and max_recordings is None and goal_hours is None:
        raise click.UsageError(
            "nothing to change: give --open/--closed, --max-recordings or --goal-hours"
        )
    database = _database()
    with database.connection() as conn:
        row = configure_language(
            conn, code, active=active, max_recordings=max_recordings, goal_hours=goal_hours
        )
    database.close()
    state = "open" if row["is_active"] else "closed"
    click.echo(
        f"{row['code']} ({row['name']}): {state}, {row['max_recordings_per_item']} per sentence, "
        f"goal {row['goal_hours']} h"
    )
