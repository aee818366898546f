"""What every command needs first: the settings, the database, the storage, resolved the same
way for all of them (configured server, else the embedded PostgreSQL for DATA_DIR)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from dotenv import load_dotenv

from app.db import check_database, resolve_database_url
from app.db.migrations import require_schema
from app.errors import CrowdsourceError
from app.settings import Settings, load_settings
from app.storage import Storage, make_dashboard_storage, make_storage
from app.storage.retrying import RetryingStorage

# ctx.meta key: False for the commands that must work without the schema (ops/cli.py sets it).
SCHEMA_CHECK = "crowdsource.schema_check"


class CommandRefused(CrowdsourceError):
    """The command will not run as asked (a confirmation missing, a server in the way)."""

    code = "refused"
    exit_code = 2


def settings_from_environment() -> Settings:
    """Read `.env` from the working directory (values already set win), then the settings."""
    load_dotenv(Path.cwd() / ".env", override=False)
    return load_settings()


def connect_database(settings: Settings) -> str:
    """The database URL, after starting the embedded server if needed and checking it answers.

    Under the `crowdsource` command it also checks the schema is at the level this code needs
    (SchemaNotReady, exit 2, otherwise), except for the commands that make or replace the
    schema (`migrate`, `serve`, `backup`, `restore`; see ops/cli.py).
    """
    url = resolve_database_url(settings)
    check_database(url, timeout=settings.db_connect_timeout)
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(SCHEMA_CHECK, False):
        require_schema(url)
    return url


def stdin_is_terminal() -> bool:
    """Whether someone can answer a question (a function, so tests can stand in a terminal)."""
    return sys.stdin is not None and sys.stdin.isatty()


def confirm_destructive(what: str, yes: bool) -> None:
    """Go on only if the operator agrees to `what`: --yes, or "y" at the terminal's prompt.

    Without a terminal and without --yes, raise CommandRefused (exit 2): a script must say
    it means it. Answering no at the prompt aborts (click.Abort, exit 1).
    """
    if yes:
        return
    if not stdin_is_terminal():
        raise CommandRefused(f"{what}: not confirmed; run again with --yes")
    click.confirm(f"{what}. Continue?", abort=True, err=True)


def checked_storage(settings: Settings, *, batch: bool = False) -> Storage:
    """The configured storage backend, after checking the bucket is reachable. For `batch`
    work (export, refresh, sweep, ingest) each call is tried again after a transient failure
    (app.storage.retrying says why the request path is not)."""
    storage = make_storage(settings)
    if batch:
        storage = RetryingStorage(storage)
    storage.check()
    return storage


def checked_dashboard_storage(
    settings: Settings, recordings: Storage | None = None, *, batch: bool = True
) -> Storage:
    """Where the dashboard is published (DASHBOARD_BUCKET_NAME, else the recordings storage),
    after checking it is reachable. Publishing is batch work: retried unless `batch` is
    False (see checked_storage)."""
    storage = make_dashboard_storage(settings, recordings)
    separate = storage is not recordings  # the recordings storage was checked by its caller
    if batch and not isinstance(storage, RetryingStorage):
        storage = RetryingStorage(storage)
    if separate:
        storage.check()
    return storage
