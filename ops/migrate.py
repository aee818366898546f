"""`crowdsource migrate up | down [N] | status | new NAME`."""

from __future__ import annotations

import click

from app.db.migrations import (
    SERVE_APPLICATION_NAME,
    Migrator,
    default_directory,
    new_migration,
    serving_connections,
)
from ops.context import (
    CommandRefused,
    confirm_destructive,
    connect_database,
    settings_from_environment,
)


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
@click.option("--yes", is_flag=True, help="Do not ask (needed when stdin is not a terminal).")
@click.option("--force", is_flag=True, help="Revert even while a `crowdsource serve` is connected.")
def down(steps: int, revert_all: bool, yes: bool, force: bool) -> None:
    """Revert the newest STEPS applied migrations (default 1). Reverting drops tables and
    the data in them: it asks first on a terminal, and needs --yes otherwise.

    Refuses while a running `crowdsource serve` holds the database, unless --force. A server
    is recognised in pg_stat_activity by its connections' application_name,
    `crowdsource-serve`: the web app's pool sets it (app/db), and `crowdsource serve` sets
    PGAPPNAME for its other connections. Any process running the web app counts (gunicorn
    in a container too); a server that has not opened a connection yet is not seen.
    """
    migrator = _migrator()
    serving = serving_connections(migrator.url)
    if serving and not force:
        raise CommandRefused(
            f"a running crowdsource serve holds the database ({serving} connections named "
            f"{SERVE_APPLICATION_NAME}); stop it first, or pass --force"
        )
    what = "every applied migration" if revert_all else f"the newest {steps} migration(s)"
    confirm_destructive(f"revert {what}, dropping what they made and its data", yes)
    reverted = migrator.down(10**6 if revert_all else steps)
    if not reverted:
        click.echo("nothing to revert")


@migrate.command()
@click.option(
    "--check",
    is_flag=True,
    help="Exit with status 3 if any migration is pending, changed after applying, or missing.",
)
def status(check: bool) -> None:
    """List migrations: applied (when), pending, changed after applying, or missing."""
    rows = _migrator().status()
    if not rows:
        click.echo("no migrations found")
    for row in rows:
        when = row.applied_at.strftime("%Y-%m-%d %H:%M:%S %Z") if row.applied_at else ""
        click.echo(f"{row.version}  {row.state:<8} {row.name:<40} {when}".rstrip())
    if check and any(row.state != "applied" for row in rows):
        raise click.exceptions.Exit(3)


@migrate.command()
@click.argument("name")
def new(name: str) -> None:
    """Create an empty NNNN_NAME.up.sql / .down.sql pair after the newest migration."""
    up_path, down_path = new_migration(default_directory(), name)
    click.echo(f"created {up_path}\ncreated {down_path}")
