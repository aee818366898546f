"""`crowdsource backup` / `restore` through the real command against the test run's embedded
PostgreSQL, with the real pg_dump/pg_restore."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo, sql

from tests.conftest import CLI
from tests.test_cli import assert_one_clear_line

OLD_POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


def _hindi_name(db: psycopg.Connection) -> str:
    row = db.execute("SELECT name FROM languages WHERE code = 'hi'").fetchone()
    assert row is not None
    return str(row["name"])


def _contributors(db: psycopg.Connection) -> int:
    row = db.execute("SELECT count(*) AS n FROM contributors").fetchone()
    assert row is not None
    return int(row["n"])


def test_backup_then_restore_with_yes_brings_the_data_back(
    cli: CLI, db: psycopg.Connection, base_env: dict[str, str], tmp_path: Path
) -> None:
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (uuid.uuid4(),))
    archive = tmp_path / "crowdsource.dump"

    made = cli.run("backup", "--out", str(archive), **base_env)
    db.execute("UPDATE languages SET name = 'Changed after the backup' WHERE code = 'hi'")
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (uuid.uuid4(),))
    restored = cli.run("restore", str(archive), "--yes", **base_env)

    assert made.returncode == 0, made.stderr
    assert archive.read_bytes().startswith(b"PGDMP")
    assert "not in the backup" in made.stdout  # media is someone else's job: it says so
    assert restored.returncode == 0, restored.stderr
    assert _hindi_name(db) == "Hindi"
    assert _contributors(db) == 1


def test_restore_into_a_database_that_holds_tables_is_refused_without_yes(
    cli: CLI, db: psycopg.Connection, base_env: dict[str, str], tmp_path: Path
) -> None:
    archive = tmp_path / "crowdsource.dump"
    assert cli.run("backup", "--out", str(archive), **base_env).returncode == 0
    db.execute("UPDATE languages SET name = 'Kept' WHERE code = 'hi'")

    result = cli.run("restore", str(archive), **base_env)

    assert_one_clear_line(result, "not empty", "--yes")
    assert _hindi_name(db) == "Kept"


def test_restore_into_an_empty_database_needs_no_yes(
    cli: CLI, base_env: dict[str, str], empty_database_url: str, tmp_path: Path
) -> None:
    archive = tmp_path / "crowdsource.dump"
    assert cli.run("backup", "--out", str(archive), **base_env).returncode == 0

    result = cli.run("restore", str(archive), **{**base_env, "DATABASE_URL": empty_database_url})

    assert result.returncode == 0, result.stderr
    with psycopg.connect(empty_database_url) as conn:
        row = conn.execute("SELECT count(*) FROM languages").fetchone()
    assert row is not None and row[0] > 0


@pytest.mark.parametrize(
    "content", [b"", b"hello, I am a text file\n", b"PGDMP truncated"], ids=repr
)
def test_a_file_that_is_not_a_pg_dump_archive_is_refused_in_one_line(
    cli: CLI, db: psycopg.Connection, base_env: dict[str, str], tmp_path: Path, content: bytes
) -> None:
    garbage = tmp_path / "not-a-backup.dump"
    garbage.write_bytes(content)

    result = cli.run("restore", str(garbage), "--yes", **base_env)

    assert_one_clear_line(result, str(garbage))
    assert _hindi_name(db) == "Hindi"


def test_a_failed_backup_leaves_no_file_and_keeps_the_previous_one(
    cli: CLI, admin_url: str, database_url: str, base_env: dict[str, str], tmp_path: Path
) -> None:
    # A role that may connect but read no table: pg_dump starts, then fails.
    role, password = f"nobody_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
    try:
        params = conninfo.conninfo_to_dict(database_url)
        url = conninfo.make_conninfo("", **{**params, "user": role, "password": password})
        out = tmp_path / "backups" / "crowdsource.dump"
        out.parent.mkdir()
        out.write_bytes(b"yesterday's backup")

        result = cli.run("backup", "--out", str(out), **{**base_env, "DATABASE_URL": url})

        assert_one_clear_line(result, "pg_dump", "permission denied")
        assert password not in result.stdout + result.stderr
        assert [p.name for p in out.parent.iterdir()] == ["crowdsource.dump"]
        assert out.read_bytes() == b"yesterday's backup"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_backup_into_a_folder_that_does_not_exist_is_refused_in_one_line(
    cli: CLI, base_env: dict[str, str], tmp_path: Path
) -> None:
    result = cli.run("backup", "--out", str(tmp_path / "nowhere" / "x.dump"), **base_env)

    assert_one_clear_line(result, "does not exist")


@pytest.mark.skipif(not OLD_POSTGRES_BIN.is_dir(), reason="no PostgreSQL 15 client installed")
def test_a_pg_dump_older_than_the_server_is_refused_with_its_version(
    cli: CLI, base_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "x.dump"

    result = cli.run("backup", "--out", str(out), "--pg-bin", str(OLD_POSTGRES_BIN), **base_env)

    assert_one_clear_line(result, "pg_dump for PostgreSQL 16 or newer", "version 15")
    assert not out.exists()


def test_a_pg_bin_without_the_tools_is_refused_in_one_line(
    cli: CLI, base_env: dict[str, str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()

    result = cli.run(
        "backup", "--out", str(tmp_path / "x.dump"), "--pg-bin", str(empty), **base_env
    )

    assert_one_clear_line(result, "pg_dump not found", "--pg-bin")
