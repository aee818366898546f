"""Every command that needs the schema meets a database without it (or behind it) with one
line that says to run `crowdsource migrate up`, exit status 2; `/readyz` is not ready until
the schema is there."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from app.db.migrations import Migrator
from app.settings import Settings
from tests.conftest import CLI, TEST_SECRET

NEEDS_SCHEMA = [
    ("refresh",),
    ("export", "--language", "hi"),
    ("sweep", "--dry-run"),
    ("sweep", "--yes"),
    ("ingest", "sentences", "{sentences}", "--language", "hi"),
    ("ingest", "media", "{folder}", "--language", "hi", "--kind", "audio"),
    ("ingest", "batches"),
    ("ingest", "retire", "1", "--yes"),
    ("ingest", "activate", "1"),
    ("languages", "list"),
    ("languages", "set", "hi", "--closed"),
    ("reports", "list"),
    ("known-answers", "stats"),
    ("known-answers", "list", "--language", "hi"),
    ("validators", "list", "--language", "hi"),
    ("serve", "--no-migrate"),
]


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "DATA_DIR": str(tmp_path / "data")}


def assert_one_line_exit_2(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for word in ("crowdsource migrate up", *words):
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("args", NEEDS_SCHEMA, ids=" ".join)
def test_a_command_on_a_database_without_the_schema_says_to_migrate(
    cli: CLI, empty_database_url: str, tmp_path: Path, args: tuple[str, ...]
) -> None:
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("यह एक वाक्य है\n")
    argv = [arg.format(sentences=sentences, folder=tmp_path) for arg in args]

    result = cli.run(*argv, **_env(empty_database_url, tmp_path))

    assert_one_line_exit_2(result, "no schema")


def test_status_reports_the_missing_schema_in_its_table(
    cli: CLI, empty_database_url: str, tmp_path: Path
) -> None:
    # `status` reports every check rather than stopping at the first, so the missing schema
    # is its database line, with the same advice and the same exit status as every command.
    result = cli.run("status", **_env(empty_database_url, tmp_path))

    assert result.returncode == 2, result.stderr
    database = [line for line in result.stdout.splitlines() if line.startswith("database")]
    assert database == [
        "database   FAIL  the database has no schema; run `crowdsource migrate up`"
    ], result.stdout
    assert result.stderr == ""


def test_a_database_behind_the_code_is_named_behind(
    cli: CLI, empty_database_url: str, tmp_path: Path
) -> None:
    Migrator(empty_database_url).up("0001")

    result = cli.run("languages", "list", **_env(empty_database_url, tmp_path))

    assert_one_line_exit_2(result, "behind", "0002")


def test_migrate_and_backup_work_without_the_schema(
    cli: CLI, empty_database_url: str, tmp_path: Path
) -> None:
    env = _env(empty_database_url, tmp_path)

    backed_up = cli.run("backup", "--out", str(tmp_path / "empty.dump"), **env)
    status = cli.run("migrate", "status", **env)
    up = cli.run("migrate", "up", **env)
    listed = cli.run("languages", "list", **env)

    assert backed_up.returncode == 0, backed_up.stderr
    assert status.returncode == 0 and "pending" in status.stdout, status.stderr
    assert up.returncode == 0, up.stderr
    assert listed.returncode == 0 and "hi" in listed.stdout, listed.stderr


def _settled_readyz(client: FlaskClient, settled: Callable[[TestResponse], bool]) -> TestResponse:
    """/readyz, asked again (for at most 20 s) while a check is still running past the probe's
    deadline on a loaded machine: the answer that counts is the settled one."""
    deadline = time.monotonic() + 20
    response = client.get("/readyz")
    while not settled(response) and time.monotonic() < deadline:
        time.sleep(0.5)
        response = client.get("/readyz")
    return response


def test_readyz_waits_for_the_schema_then_stays_ready(
    empty_database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=empty_database_url,
        data_dir=tmp_path / "data",
        storage_dir=tmp_path / "storage",
        secret_key=TEST_SECRET,
    )
    app: Flask = create_app(settings, database_url=empty_database_url)
    client = app.test_client()
    try:
        before = _settled_readyz(client, lambda r: "within" not in r.get_json()["checks"]["schema"])
        Migrator(empty_database_url).up()
        after = _settled_readyz(client, lambda r: r.status_code == 200)
        # Cached once ready: the schema is not read again.
        with psycopg.connect(empty_database_url, autocommit=True) as conn:
            conn.execute("DELETE FROM schema_migrations WHERE version = '0002'")
        cached = client.get("/readyz")
    finally:
        app.extensions["crowdsource.db"].close()

    assert before.status_code == 503
    assert before.headers["Retry-After"]
    checks = before.get_json()["checks"]
    assert checks["database"] == "ok"
    assert "crowdsource migrate up" in checks["schema"]
    assert after.status_code == 200, after.get_json()
    assert after.get_json()["checks"]["schema"] == "ok"
    assert cached.get_json()["checks"]["schema"] == "ok"
