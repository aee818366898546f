"""The `crowdsource` command. Each area adds its commands here; all of them call the same
domain functions as the web app."""

from __future__ import annotations

import logging
import os
import sys

import click

from app.db.migrations import SERVE_APPLICATION_NAME
from app.errors import CrowdsourceError
from ops.backup import backup, restore
from ops.bench import bench
from ops.context import SCHEMA_CHECK
from ops.contributors import contributors
from ops.cost import cost
from ops.db import db
from ops.export import export
from ops.feedback import feedback
from ops.functional import functional_test
from ops.generate import generate
from ops.i18n import i18n
from ops.ingest import ingest
from ops.k8s import k8s
from ops.known_answers import known_answers
from ops.languages import languages
from ops.loadtest import loadtest
from ops.migrate import migrate
from ops.refresh import refresh
from ops.reports import reports
from ops.serve import serve
from ops.status import status
from ops.sweep import sweep
from ops.tasks import tasks
from ops.validators import validators

# Commands that work on a database without the schema: they make it, or replace it.
SCHEMA_EXEMPT = frozenset({"migrate", "serve", "backup", "restore"})


class CrowdsourceGroup(click.Group):
    """Turns our errors into one line on stderr and exit status 1 (or the error's own
    `exit_code`), never a traceback; output into a closed pipe ends quietly."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        # Read by ops.context.connect_database: one place decides which commands need the
        # schema, before any of them touches a table.
        # `serve --no-migrate` will not make the schema, so it needs it like any other.
        ctx.meta[SCHEMA_CHECK] = name not in SCHEMA_EXEMPT or (
            name == "serve" and "--no-migrate" in rest
        )
        if name == "serve":
            # libpq reads PGAPPNAME: every connection of the server (workers included) is
            # named, so `migrate down` can see a server holds the database.
            os.environ.setdefault("PGAPPNAME", SERVE_APPLICATION_NAME)
        return name, command, rest

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_closed_pipe()
            ctx.exit(141)  # 128 + SIGPIPE, what a shell reports for a command cut off so
        except CrowdsourceError as exc:
            click.echo(f"crowdsource: error: {exc.message}", err=True)
            ctx.exit(getattr(exc, "exit_code", 1))
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                f"crowdsource: internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for the traceback)",
                err=True,
            )
            ctx.exit(70)  # EX_SOFTWARE


@click.group(cls=CrowdsourceGroup)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(package_name="crowdsource-platform")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Crowdsource: record, validate and publish speech datasets.

    Configuration comes from the environment (and a .env file in the working directory);
    with no database configured, an embedded PostgreSQL in DATA_DIR is used.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


cli.add_command(serve)
cli.add_command(status)
cli.add_command(migrate)
cli.add_command(db)
cli.add_command(languages)
cli.add_command(tasks)
cli.add_command(generate)
cli.add_command(refresh)
cli.add_command(export)
cli.add_command(ingest)
cli.add_command(k8s)
cli.add_command(cost)
cli.add_command(loadtest)
cli.add_command(functional_test)
cli.add_command(bench)
cli.add_command(sweep)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(reports)
cli.add_command(feedback)
cli.add_command(known_answers)
cli.add_command(validators)
cli.add_command(i18n)
cli.add_command(contributors)


def _quiet_closed_pipe() -> None:
    """The reader went away (`... | head`): point stdout at /dev/null so the final flush at
    exit does not raise again, and say nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main() -> None:
    """Console-script entry point."""
    try:
        cli(prog_name="crowdsource")
    except BrokenPipeError:  # raised outside a command (e.g. while printing --help)
        _quiet_closed_pipe()
        sys.exit(141)


if __name__ == "__main__":
    main()
