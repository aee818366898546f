"""Plain-SQL migrations: `NNNN_name.up.sql` + `NNNN_name.down.sql` in `migrations/`.

Rules (see docs/adr/0002-migrations.md):
- every run holds a PostgreSQL advisory lock, so two pods or jobs never apply at once; the
  one that waits re-reads what is applied and finds nothing left to do;
- each step runs in its own transaction together with its row in `schema_migrations`, so a
  failed step leaves the schema exactly as it was; the error names the file and the line;
- a step whose up file starts with `-- crowdsource:no-transaction` (for CREATE INDEX
  CONCURRENTLY and the like) runs statement by statement outside a transaction.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from app.db import describe_db_error
from app.db.sqlsplit import split_sql
from app.errors import CrowdsourceError, DatabaseUnavailable, MigrationError

# Any fixed 64-bit number works; it only has to be the same in every process.
ADVISORY_LOCK_KEY = 0x63726F7764_01  # "crowd", lock #1
NO_TRANSACTION_MARK = "-- crowdsource:no-transaction"
_FILE_RE = re.compile(r"(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.(?P<direction>up|down)\.sql")
_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,59}")
# What `crowdsource serve` names its connections (ops/cli.py sets PGAPPNAME for it), so that
# `migrate down` can tell a running server holds the database.
SERVE_APPLICATION_NAME = "crowdsource-serve"
FIX_HINT = "run `crowdsource migrate up`"

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL
)
"""


class SchemaNotReady(CrowdsourceError):
    """The database lacks the schema this code needs (none at all, or steps pending)."""

    code = "schema_not_ready"
    http_status = 503
    exit_code = 2  # the CLI's exit status: the operator has a step to take first


def default_directory() -> Path:
    """The `migrations/` folder shipped with the code."""
    return Path(str(resources.files("migrations")))


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    up_path: Path
    down_path: Path

    @property
    def label(self) -> str:
        return f"{self.version}_{self.name}"

    def checksum(self) -> str:
        return hashlib.sha256(self.up_path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class StepStatus:
    version: str
    name: str
    state: str  # applied | pending | changed (file edited after applying) | missing (no file)
    applied_at: datetime | None


def discover(directory: Path) -> list[Migration]:
    """The migrations in `directory`, oldest first; raise MigrationError if a pair is broken."""
    files: dict[str, dict[str, Path]] = {}
    names: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_RE.fullmatch(path.name)
        if match is None:
            raise MigrationError(
                f"{path}: not a migration file name (expected NNNN_name.up.sql / .down.sql)"
            )
        version = match["version"]
        if names.setdefault(version, match["name"]) != match["name"]:
            raise MigrationError(f"{path}: version {version} is used by two migrations")
        files.setdefault(version, {})[match["direction"]] = path
    migrations = []
    for version, pair in sorted(files.items()):
        for direction in ("up", "down"):
            if direction not in pair:
                raise MigrationError(
                    f"migration {version}_{names[version]} has no .{direction}.sql"
                )
        migrations.append(Migration(version, names[version], pair["up"], pair["down"]))
    return migrations


def new_migration(directory: Path, name: str) -> tuple[Path, Path]:
    """Create an empty up/down pair named `name` after the newest migration; return the paths."""
    if not _NAME_RE.fullmatch(name):
        raise MigrationError(
            f"migration name {name!r}: "
            "use lower-case letters, digits and '_', starting with a letter"
        )
    existing = discover(directory)
    version = f"{int(existing[-1].version) + 1 if existing else 1:04d}"
    up = directory / f"{version}_{name}.up.sql"
    down = directory / f"{version}_{name}.down.sql"
    up.write_text(f"-- {version} {name}: what this step does and why.\n\n")
    down.write_text(f"-- {version} {name}: undo exactly what the up step did.\n\n")
    return up, down


def schema_problem(conn: psycopg.Connection[Any], directory: Path | None = None) -> str | None:
    """None when every migration the code has is applied on `conn`'s database; otherwise one
    line saying the schema is missing or behind and to run `crowdsource migrate up`.

    Steps applied but unknown to the code (a newer release migrated the database) and
    edited steps are left to `migrate status --check`: they do not stop the commands.
    """
    expected = [m.version for m in discover(directory or default_directory())]
    cur = conn.cursor(row_factory=tuple_row)
    row = cur.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    applied: set[str] = set()
    if row and row[0]:
        applied = {r[0] for r in cur.execute("SELECT version FROM schema_migrations")}
    if not applied:
        return f"the database has no schema; {FIX_HINT}"
    pending = [v for v in expected if v not in applied]
    if not pending:
        return None
    return (
        f"the database schema is behind: {len(pending)} migration(s) pending "
        f"(first {pending[0]}); {FIX_HINT}"
    )


def require_schema(url: str, directory: Path | None = None) -> None:
    """Raise SchemaNotReady unless the database at `url` has every migration the code has."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            problem = schema_problem(conn, directory)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot connect to the database: {describe_db_error(exc)}"
        ) from None
    if problem:
        raise SchemaNotReady(problem)


def serving_connections(url: str) -> int:
    """How many connections of a running `crowdsource serve` (by application_name) the
    database at `url` has, other than this one."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s"
            " AND pid <> pg_backend_pid()",
            (SERVE_APPLICATION_NAME,),
        ).fetchone()
    return int(row[0]) if row else 0


class Migrator:
    """Applies and reverts migrations on one database."""

    def __init__(
        self,
        url: str,
        directory: Path | None = None,
        *,
        lock_timeout: float = 300.0,
        report: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.url = url
        self.directory = directory or default_directory()
        self.lock_timeout = lock_timeout
        self.report = report

    def status(self) -> list[StepStatus]:
        """Every known step (from files and from the database) with its state."""
        migrations = {m.version: m for m in discover(self.directory)}
        with self._connect() as conn:
            applied = self._applied(conn)
        rows: list[StepStatus] = []
        for version in sorted(set(migrations) | set(applied)):
            m = migrations.get(version)
            if version not in applied:
                assert m is not None
                rows.append(StepStatus(version, m.name, "pending", None))
                continue
            name, checksum, applied_at = applied[version]
            state = "missing" if m is None else "applied" if m.checksum() == checksum else "changed"
            rows.append(StepStatus(version, name, state, applied_at))
        return rows

    def up(self, target: str | None = None) -> list[Migration]:
        """Apply pending steps in order (up to `target` if given); return those applied."""
        migrations = discover(self.directory)
        if target is not None and target not in {m.version for m in migrations}:
            raise MigrationError(f"no migration with version {target!r}")
        done: list[Migration] = []
        with self._connect() as conn, self._locked(conn):
            applied = self._applied(conn)
            self._refuse_changed(migrations, applied)
            for m in migrations:
                if target is not None and m.version > target:
                    break
                if m.version in applied:
                    continue
                self._run_step(conn, m, direction="up")
                done.append(m)
        return done

    def down(self, steps: int = 1) -> list[Migration]:
        """Revert the newest `steps` applied steps, newest first; return those reverted."""
        if steps < 1:
            raise MigrationError("the number of steps to revert must be at least 1")
        migrations = {m.version: m for m in discover(self.directory)}
        done: list[Migration] = []
        with self._connect() as conn, self._locked(conn):
            applied = sorted(self._applied(conn), reverse=True)[:steps]
            for version in applied:
                if version not in migrations:
                    raise MigrationError(
                        f"migration {version} is applied but its files are gone; cannot revert it"
                    )
                self._run_step(conn, migrations[version], direction="down")
                done.append(migrations[version])
        return done

    # -- internals -------------------------------------------------------------------------

    @staticmethod
    def _refuse_changed(
        migrations: list[Migration], applied: dict[str, tuple[str, str, datetime]]
    ) -> None:
        """An applied step whose file was edited since: what the database holds is not what
        the files say, so applying anything after it would build on a guess."""
        for m in migrations:
            if m.version in applied and applied[m.version][1] != m.checksum():
                raise MigrationError(
                    f"migration {m.label} was edited after it was applied; restore its file "
                    "from version control and put the change in a new migration"
                )

    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(
                f"cannot connect to the database: {describe_db_error(exc)}"
            ) from None

    @contextmanager
    def _locked(self, conn: psycopg.Connection) -> Iterator[None]:
        deadline = time.monotonic() + self.lock_timeout
        waited = False
        while not conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()[
            0
        ]:  # type: ignore[index]
            if not waited:
                self.report("waiting for another migration run to finish...")
                waited = True
            if time.monotonic() > deadline:
                raise MigrationError(
                    f"another migration run has held the lock for over {self.lock_timeout:.0f} s"
                )
            time.sleep(0.2)
        try:
            conn.execute(_CREATE_TABLE)
            yield
        finally:
            if not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))

    def _applied(self, conn: psycopg.Connection) -> dict[str, tuple[str, str, datetime]]:
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return {}
        rows = conn.execute(
            "SELECT version, name, checksum, applied_at FROM schema_migrations"
        ).fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def _run_step(self, conn: psycopg.Connection, m: Migration, *, direction: str) -> None:
        path = m.up_path if direction == "up" else m.down_path
        script = path.read_text(encoding="utf-8")
        transactional = not script.lstrip().startswith(NO_TRANSACTION_MARK)
        started = time.monotonic()
        if transactional:
            with conn.transaction():
                self._execute_script(conn, path, script, transactional=True)
                self._record(conn, m, direction, started)
        else:
            self._execute_script(conn, path, script, transactional=False)
            self._record(conn, m, direction, started)
        verb = "applied" if direction == "up" else "reverted"
        self.report(f"{verb} {m.label} ({(time.monotonic() - started) * 1000:.0f} ms)")

    def _execute_script(
        self, conn: psycopg.Connection, path: Path, script: str, *, transactional: bool
    ) -> None:
        for statement in split_sql(script):
            try:
                conn.execute(statement.text.encode())  # bytes: no placeholder parsing
            except psycopg.Error as exc:
                line = statement.line
                position = exc.diag.statement_position
                if position:
                    line += statement.text[: int(position) - 1].count("\n")
                reason = exc.diag.message_primary or describe_db_error(exc)
                extra = f" ({exc.diag.message_detail})" if exc.diag.message_detail else ""
                outcome = (
                    "nothing of this step was applied"
                    if transactional
                    else "this step runs outside a transaction: "
                    f"statements before line {line} stay applied"
                )
                raise MigrationError(f"{path.name}:{line}: {reason}{extra}; {outcome}") from None

    def _record(
        self, conn: psycopg.Connection, m: Migration, direction: str, started: float
    ) -> None:
        if direction == "up":
            conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum, duration_ms)"
                " VALUES (%s, %s, %s, %s)",
                (m.version, m.name, m.checksum(), int((time.monotonic() - started) * 1000)),
            )
        else:
            conn.execute("DELETE FROM schema_migrations WHERE version = %s", (m.version,))
