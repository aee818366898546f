"""Destructive commands (`migrate down`, `restore`, `sweep`, `ingest retire`) ask on a
terminal and need --yes otherwise; `migrate down` refuses while a server holds the database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from app.db.migrations import SERVE_APPLICATION_NAME
from ops import context
from ops.cli import cli as crowdsource
from tests.conftest import CLI, TEST_SECRET
from tests.live_server import free_port, stop, wait_ready


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "DATA_DIR": str(tmp_path / "data")}


def _applied(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
    assert row is not None
    return int(row[0])


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("migrate", "down"),
        ("migrate", "down", "--all"),
        ("sweep",),
        ("ingest", "retire", "1"),
    ],
    ids=" ".join,
)
def test_a_destructive_command_without_a_terminal_needs_yes(
    cli: CLI, database_url: str, tmp_path: Path, args: tuple[str, ...]
) -> None:
    applied = _applied(database_url)

    result = cli.run(*args, **_env(database_url, tmp_path))

    assert_refused(result, "--yes")
    assert _applied(database_url) == applied


def test_migrate_down_with_yes_reverts(cli: CLI, database_url: str, tmp_path: Path) -> None:
    applied = _applied(database_url)

    result = cli.run("migrate", "down", "--yes", **_env(database_url, tmp_path))

    assert result.returncode == 0, result.stderr
    assert "reverted" in result.stdout
    assert _applied(database_url) == applied - 1


def test_sweep_dry_run_needs_no_yes(cli: CLI, database_url: str, tmp_path: Path) -> None:
    result = cli.run("sweep", "--dry-run", **_env(database_url, tmp_path))

    assert result.returncode == 0, result.stderr
    assert "dry run" in result.stdout


def test_migrate_down_refuses_while_a_server_holds_the_database_unless_forced(
    cli: CLI, database_url: str, tmp_path: Path
) -> None:
    env = _env(database_url, tmp_path)
    applied = _applied(database_url)
    # What a running `crowdsource serve` looks like from the database: connections named so.
    with psycopg.connect(database_url, application_name=SERVE_APPLICATION_NAME):
        refused = cli.run("migrate", "down", "--yes", **env)
        assert _applied(database_url) == applied
        forced = cli.run("migrate", "down", "--yes", "--force", **env)

    assert_refused(refused, "crowdsource serve", "--force")
    assert forced.returncode == 0, forced.stderr
    assert _applied(database_url) == applied - 1


def test_migrate_down_sees_a_live_serve_and_refuses(
    cli: CLI, database_url: str, tmp_path: Path
) -> None:
    env = _env(database_url, tmp_path)
    port = free_port()
    server = cli.start("serve", "--no-demo", **env, PORT=str(port), WEB_CONCURRENCY="1")
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", server)
        refused = cli.run("migrate", "down", "--yes", **env)
    finally:
        stop(server)

    assert_refused(refused, "crowdsource serve", "--force")


@pytest.mark.parametrize(("answer", "reverted"), [("n\n", 0), ("y\n", 1)])
def test_on_a_terminal_migrate_down_asks_and_does_only_what_is_agreed(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    reverted: int,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(context, "stdin_is_terminal", lambda: True)
    applied = _applied(database_url)

    result = CliRunner().invoke(
        crowdsource, ["migrate", "down"], input=answer, env=_env(database_url, tmp_path)
    )

    assert "Continue?" in result.output
    assert result.exit_code == (0 if reverted else 1), result.output
    assert _applied(database_url) == applied - reverted
