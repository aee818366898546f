"""Migrations: round trips, the advisory lock, and failures that leave nothing behind."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from app.db.migrations import Migrator, default_directory, discover, new_migration
from app.errors import MigrationError

CATALOG = """
SELECT 'column' AS kind, table_name || '.' || column_name || ' ' || data_type AS what
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'function', proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal
ORDER BY 1, 2
"""


def catalog(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(CATALOG).fetchall()
    return [r for r in rows if "schema_migrations" not in r[1]]


def write(directory: Path, name: str, up: str, down: str = "SELECT 1;") -> None:
    (directory / f"{name}.up.sql").write_text(up)
    (directory / f"{name}.down.sql").write_text(down)


def test_up_status_down_up_round_trips_on_an_empty_database(empty_database_url: str) -> None:
    migrator = Migrator(empty_database_url)
    versions = [m.version for m in discover(default_directory())]

    assert [m.version for m in migrator.up()] == versions
    schema = catalog(empty_database_url)
    assert {row.state for row in migrator.status()} == {"applied"}

    assert [m.version for m in migrator.down(len(versions))] == versions[::-1]
    assert catalog(empty_database_url) == []
    assert {row.state for row in migrator.status()} == {"pending"}

    assert [m.version for m in migrator.up()] == versions
    assert catalog(empty_database_url) == schema
    assert migrator.up() == []


def test_down_reverts_one_step_by_default(empty_database_url: str, tmp_path: Path) -> None:
    write(tmp_path, "0001_a", "CREATE TABLE a (id int);", "DROP TABLE a;")
    write(tmp_path, "0002_b", "CREATE TABLE b (id int);", "DROP TABLE b;")
    migrator = Migrator(empty_database_url, tmp_path)
    migrator.up()

    assert [m.version for m in migrator.down()] == ["0002"]
    assert [(r.version, r.state) for r in migrator.status()] == [
        ("0001", "applied"),
        ("0002", "pending"),
    ]


def test_two_concurrent_runs_apply_each_step_exactly_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    # Each step sleeps so that the two runs really overlap.
    write(tmp_path, "0001_a", "CREATE TABLE a (id int);\nSELECT pg_sleep(0.5);", "DROP TABLE a;")
    write(tmp_path, "0002_b", "CREATE TABLE b (id int);\nSELECT pg_sleep(0.5);", "DROP TABLE b;")
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append([m.version for m in Migrator(empty_database_url, tmp_path).up()])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert errors == []
    assert sorted(results) == [[], ["0001", "0002"]]
    with psycopg.connect(empty_database_url) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [("0001",), ("0002",)]


def test_a_failing_step_leaves_the_schema_as_it_was_and_names_file_and_line(
    empty_database_url: str, tmp_path: Path
) -> None:
    write(tmp_path, "0001_good", "CREATE TABLE good (id int);", "DROP TABLE good;")
    write(
        tmp_path,
        "0002_bad",
        "-- a comment\nCREATE TABLE half (id int);\n\nINSERT INTO half\n  VALUES (1, 2, 'x');\n",
        "DROP TABLE half;",
    )
    migrator = Migrator(empty_database_url, tmp_path)

    with pytest.raises(MigrationError) as failure:
        migrator.up()

    assert "0002_bad.up.sql:5" in failure.value.message  # the line of the bad VALUES
    assert "nothing of this step was applied" in failure.value.message
    with psycopg.connect(empty_database_url) as conn:
        assert conn.execute("SELECT to_regclass('half')").fetchone() == (None,)
        assert conn.execute("SELECT to_regclass('good')").fetchone() == ("good",)
    assert [(r.version, r.state) for r in migrator.status()] == [
        ("0001", "applied"),
        ("0002", "pending"),
    ]


def test_a_syntax_error_points_at_its_own_line(empty_database_url: str, tmp_path: Path) -> None:
    write(tmp_path, "0001_typo", "CREATE TABLE t (\n  id int,\n  name txet\n);")

    with pytest.raises(MigrationError, match=r"0001_typo\.up\.sql:3: type \"txet\" does not exist"):
        Migrator(empty_database_url, tmp_path).up()


def test_status_flags_a_migration_edited_after_it_was_applied(
    empty_database_url: str, tmp_path: Path
) -> None:
    write(tmp_path, "0001_a", "CREATE TABLE a (id int);", "DROP TABLE a;")
    migrator = Migrator(empty_database_url, tmp_path)
    migrator.up()
    (tmp_path / "0001_a.up.sql").write_text("CREATE TABLE a (id bigint);")

    assert [r.state for r in migrator.status()] == ["changed"]


def test_no_transaction_steps_can_create_indexes_concurrently(
    empty_database_url: str, tmp_path: Path
) -> None:
    write(tmp_path, "0001_t", "CREATE TABLE t (id int);", "DROP TABLE t;")
    write(
        tmp_path,
        "0002_idx",
        "-- crowdsource:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);",
        "-- crowdsource:no-transaction\nDROP INDEX CONCURRENTLY t_id;",
    )
    migrator = Migrator(empty_database_url, tmp_path)
    migrator.up()
    migrator.down()

    assert [r.state for r in migrator.status()] == ["applied", "pending"]


def test_broken_migration_folders_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.up.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"has no \.down\.sql"):
        discover(tmp_path)
    (tmp_path / "notes.sql").write_text("")
    with pytest.raises(MigrationError, match="not a migration file name"):
        discover(tmp_path)


def test_new_creates_the_next_numbered_pair(tmp_path: Path) -> None:
    write(tmp_path, "0007_a", "SELECT 1;")

    up, down = new_migration(tmp_path, "add_goals")

    assert (up.name, down.name) == ("0008_add_goals.up.sql", "0008_add_goals.down.sql")
    with pytest.raises(MigrationError, match="use lower-case letters"):
        new_migration(tmp_path, "Bad Name")


def test_up_refuses_to_go_past_a_step_edited_after_it_was_applied(
    empty_database_url: str, tmp_path: Path
) -> None:
    write(tmp_path, "0001_a", "CREATE TABLE a (id int);", "DROP TABLE a;")
    migrator = Migrator(empty_database_url, tmp_path)
    migrator.up()
    (tmp_path / "0001_a.up.sql").write_text("CREATE TABLE a (id bigint);")
    write(tmp_path, "0002_b", "CREATE TABLE b (id int);", "DROP TABLE b;")

    with pytest.raises(MigrationError, match="0001_a was edited after it was applied"):
        migrator.up()
    assert [r.state for r in migrator.status()] == ["changed", "pending"]


def _tamper(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


@pytest.mark.parametrize(
    ("tampering", "state"),
    [
        ("UPDATE schema_migrations SET checksum = 'edited' WHERE version = '0001'", "changed"),
        (
            "INSERT INTO schema_migrations (version, name, checksum, duration_ms)"
            " VALUES ('9999', 'gone', 'x', 1)",
            "missing",
        ),
    ],
)
def test_status_check_fails_on_a_changed_or_missing_step(
    cli, database_url: str, tampering: str, state: str
) -> None:
    from tests.conftest import TEST_SECRET

    env = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET}
    assert cli.run("migrate", "status", "--check", **env).returncode == 0
    _tamper(database_url, tampering)

    checked = cli.run("migrate", "status", "--check", **env)
    up = cli.run("migrate", "up", **env)

    assert checked.returncode == 3, checked.stderr
    assert state in checked.stdout
    if state == "changed":
        assert up.returncode == 1
        assert "up to date" not in up.stdout
        assert len(up.stderr.strip().splitlines()) == 1 and "edited" in up.stderr
