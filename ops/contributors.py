"""`crowdsource contributors erase ID`: erase a person at their request made by other means
(an e-mail to the team), exactly as DELETE /api/v1/me does (app/contributors/tombstones.py),
recorded as requested by the operator."""

from __future__ import annotations

import uuid

import click
import psycopg
from psycopg.rows import dict_row

from app.contributors.tombstones import erase_on_request
from app.errors import NotFound
from ops.context import (
    checked_storage,
    confirm_destructive,
    connect_database,
    settings_from_environment,
)


@click.group()
def contributors() -> None:
    """Act on one contributor's data at their request."""


@contributors.command()
@click.argument("contributor_id")
@click.option(
    "--yes", is_flag=True, help="Do not ask for confirmation (needed without a terminal)."
)
def erase(contributor_id: str, yes: bool) -> None:
    """Erase CONTRIBUTOR_ID (the id the person sees on their profile page): their profile,
    recordings and other contributions and their objects in storage go, their votes stay
    without their name, and a tombstone makes the erasure survive a restore of an older backup.
    """
    try:
        who = uuid.UUID(contributor_id)
    except ValueError:
        raise click.BadParameter(
            f"{contributor_id!r} is not a contributor id (a UUID such as "
            "3f1c9a2e-5b7d-4e8f-9a10-2b3c4d5e6f70)",
            param_hint="CONTRIBUTOR_ID",
        ) from None
    settings = settings_from_environment()
    url = connect_database(settings)
    storage = checked_storage(settings)
    with psycopg.connect(url, row_factory=dict_row) as conn:
        known = conn.execute(
            "SELECT (SELECT 1 FROM contributors WHERE id = %(who)s) AS present,"
            " (SELECT 1 FROM erasures WHERE contributor_id = %(who)s) AS erased",
            {"who": who},
        ).fetchone()
        if known is None or not (known["present"] or known["erased"]):
            raise NotFound(f"no contributor with id {who}")
        if known["present"]:
            confirm_destructive(f"erase contributor {who} and every recording they made", yes)
        removed = erase_on_request(conn, storage, who, "operator") or {}
        conn.commit()
    if removed.get("already_erased"):
        click.echo(f"contributor {who} was erased before; nothing more to remove")
    else:
        click.echo(f"erased contributor {who}")
    for name in ("recordings", "contributions", "votes_anonymised", "reports_anonymised",
                 "achievements", "certificates", "objects_deleted"):  # fmt: skip
        click.echo(f"  {name.replace('_', ' ')}: {removed.get(name, 0)}")
    failed = removed.get("objects_failed") or []
    if failed:
        click.echo(f"  objects not deleted yet ({len(failed)}; retried by the next refresh):")
        for key in failed:
            click.echo(f"    {key}")
