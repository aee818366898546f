"""The `crowdsource` command. Each area adds its commands here; all of them call the same
domain functions as the web app."""

from __future__ import annotations

import logging

import click

from app.errors import CrowdsourceError
from ops.backup import backup, restore
from ops.bench import bench
from ops.cost import cost
from ops.export import export
from ops.functional import functional_test
from ops.generate import generate
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
from ops.validators import validators


class CrowdsourceGroup(click.Group):
    """Turns our errors into one line on stderr and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except CrowdsourceError as exc:
            click.echo(f"crowdsource: error: {exc.message}", err=True)
            ctx.exit(1)
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
cli.add_command(languages)
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
cli.add_command(known_answers)
cli.add_command(validators)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="crowdsource")


if __name__ == "__main__":
    main()
