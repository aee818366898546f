"""`crowdsource db grant-app-role --role NAME`: the app's least-privilege database role."""

from __future__ import annotations

import os

import click

from app.db.roles import RoleRefused, grant_app_role
from ops.context import connect_database, settings_from_environment


@click.group()
def db() -> None:
    """Database roles (run as the schema's owner, after `migrate up`)."""


@db.command("grant-app-role")
@click.option("--role", required=True, help="The role the web app logs in as (a plain name).")
@click.option(
    "--password-env",
    default="DB_APP_PASS",
    show_default=True,
    help="The environment variable holding the role's password (never a command-line value).",
)
def grant_app_role_command(role: str, password_env: str) -> None:
    """Create ROLE (or set its password again) with only what the web app needs: connect, use
    the schema, read and write rows, use sequences, run functions, also on the objects of
    later migrations. Never DROP, ALTER, TRUNCATE or CREATE. One transaction; safe to repeat.

    Connects with the configured login (DB_USER / DATABASE_URL), which must own the schema.
    """
    password = os.environ.get(password_env, "")
    if not password:
        raise RoleRefused(f"{password_env} is not set: it holds the password of role {role}")
    url = connect_database(settings_from_environment())
    made = grant_app_role(url, role, password)
    verb = "created" if made.created else "updated"
    click.echo(f"role {made.name} {verb}: login, and rights on the rows of the app's tables")
