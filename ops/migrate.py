"""`crowdsource migrate up | down [N] | status | new NAME`."""

from __future__ import annotations

import click

from app.db.migrations import Migrator, default_directory, new_migration
from ops.context import connect_database, settings_from_environment


def _migrator() -> Migrator:
    url = connect_database(settings_from_environment())
    return Migrator(url, report=click.echo)


@click.group()
def migrate() -> None:
    """Apply, revert and inspect database migrations (migrations/*.sql)."""


@migrate.command()
@click.option("--to", "target", metavar="VERSION", help="Stop after this version (e.g. 0003).")
def up(target: str | None) -> None:
    """Apply every pending migration, in order, under an advisory lock."""
    applied = _migrator().up(target)
    if not applied:
        click.echo("database schema is up to date")


@migrate.command()
@click.argument("steps", type=click.IntRange(min=1), default=1)
@click.option("--all", "revert_all", is_flag=True, help="Revert every applied migration.")
def down(steps: int, revert_all: bool) -> None:
    """Revert the newest STEPS applied migrations (default 1)."""
    reverted = _migrator().down(10**6 if revert_all else steps)
    if not reverted:
        click.echo("nothing to revert")


@migrate.command()
@click.option("--check", is_flag=True, help="Exit with status 3 if any migration is pending.")
def status(check: bool) -> None:
    """List migrations: applied (when), pending, changed after applying, or missing."""
    rows = _migrator().status()
    if not rows:
        click.echo("no migrations found")
    for row in rows:
        when = row.applied_at.strftime("%Y-%m-%d %H:%M:%S %Z") if row.applied_at else ""
        click.echo(f"{row.version}  {row.state:<8} {row.name:<40} {when}".rstrip())
    if check and any(row.state == "pending" for row in rows):
        raise click.exceptions.Exit(3)


@migrate.command()
@click.argument("name")
def new(name: str) -> None:
    """Create an empty NNNN_NAME.up.sql / .down.sql pair after the newest migration."""
    up_path, down_path = new_migration(default_directory(), name)
    click.echo(f"created {up_path}\ncreated {down_path}")
