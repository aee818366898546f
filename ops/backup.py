"""`crowdsource backup` / `crowdsource restore`: the database as one pg_dump archive (custom
format), for the embedded and self-hosted cases. Managed databases (RDS, Cloud SQL) have their
own automated backups; see the README's "Backups".

The password never reaches a command line or the output: it goes to pg_dump/pg_restore as
PGPASSWORD in their environment, and every message is passed through `redact_url`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import click
import psycopg
from psycopg import conninfo
from psycopg.rows import dict_row

from app.contributors.tombstones import reapply_erasures
from app.db import describe_db_error, redact_url
from app.errors import CrowdsourceError, StorageError
from app.settings import Settings
from ops.context import (
    checked_storage,
    confirm_destructive,
    connect_database,
    settings_from_environment,
)

ARCHIVE_MAGIC = b"PGDMP"  # the first bytes of every pg_dump custom-format archive
MEDIA_NOTE = (
    "Recordings and media live in object storage and are not in the backup: protect the "
    "bucket with versioning (and replication), see README.md, Backups."
)
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
# Tables, partitioned tables, views, materialized views, sequences: a restore would collide.
_USER_RELATIONS = """
SELECT count(*) AS n
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%%'
   AND n.nspname NOT LIKE 'pg\\_temp%%'
"""


class BackupError(CrowdsourceError):
    """A backup or restore could not be made; the message says why and what to do."""

    code = "backup_error"


_PG_BIN_OPTION = click.option(
    "--pg-bin",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding pg_dump/pg_restore (default: the embedded server's own for the "
    "embedded database, else PATH, else the embedded server's).",
)


@click.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (replaced only once the new one is complete).",
)
@_PG_BIN_OPTION
def backup(out: Path, pg_bin: Path | None) -> None:
    """Write the whole database to OUT as a pg_dump custom-format archive.

    The archive is written beside OUT under a temporary name and renamed when pg_dump has
    finished, so OUT is either the previous file or a complete new backup, never a part.

    Media is not in the backup: recordings and ingested media live in object storage;
    protect that bucket with versioning (and replication).
    """
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise BackupError(f"--out {out}: folder {folder} does not exist")
    settings = settings_from_environment()
    url = connect_database(settings)
    major = server_major_version(url)
    pg_dump = find_pg_tool("pg_dump", major, pg_bin=pg_bin, embedded=settings.embedded)
    target, env = split_password(url)
    # mkstemp makes the file 0600, which suits a copy of everyone's data.
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    temp = Path(temp_name)
    try:
        _run(
            pg_dump,
            ["--format=custom", "--no-password", f"--file={temp}", f"--dbname={target}"],
            env,
        )
        with temp.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, out)
        _fsync_dir(folder)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()  # a failed or interrupted dump leaves nothing behind
    size = out.stat().st_size
    click.echo(f"backed up database {_dbname(url)} (PostgreSQL {major}) to {out}: {size:,} bytes")
    click.echo(f"note: {MEDIA_NOTE}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--yes",
    is_flag=True,
    help="Replace what the database holds: drop each object of the backup, then restore it.",
)
@_PG_BIN_OPTION
def restore(file: Path, yes: bool, pg_bin: Path | None) -> None:
    """Restore FILE (made by `crowdsource backup`) into the configured database.

    A database that already holds tables is replaced only when confirmed: at the terminal's
    prompt, or with --yes (needed when stdin is not a terminal). Then each object in the
    backup is dropped (if present) and recreated, in one transaction: the restore either
    completes or changes nothing. Objects that are not in the backup are left alone.

    Media is not in the backup: recordings and ingested media live in object storage;
    restore those from the bucket's versions or replica. Erasures are: every person erased
    after the backup was made (their tombstone is in storage) is erased again at the end.
    """
    check_archive(file)
    settings = settings_from_environment()
    url = connect_database(settings)
    major = server_major_version(url)
    pg_restore = find_pg_tool("pg_restore", major, pg_bin=pg_bin, embedded=settings.embedded)
    _run(
        pg_restore,
        ["--list", str(file)],
        os.environ.copy(),
        what=f"{file} is not a readable pg_dump archive",
    )
    relations = count_user_relations(url)
    if relations:
        # An empty database has nothing to lose; this one does: ask, or insist on --yes.
        confirm_destructive(
            f"database {_dbname(url)} is not empty ({relations} tables, views or sequences); "
            "replace its contents with the backup",
            yes,
        )
        yes = True
    target, env = split_password(url)
    options = ["--no-password", "--single-transaction", "--no-owner", f"--dbname={target}"]
    if yes:
        options += ["--clean", "--if-exists"]
    _run(pg_restore, [*options, str(file)], env)
    click.echo(f"restored {file} into database {_dbname(url)}")
    reapply_after_restore(url, settings)
    click.echo(f"note: {MEDIA_NOTE}")


def reapply_after_restore(url: str, settings: Settings) -> None:
    """Erase again everyone the storage's tombstones name that the restored database holds
    (a backup older than their erasure brought them back), and put back their erasures
    rows. A backup from before the erasures table existed is left to `crowdsource migrate`
    and the next refresh (which erase them then); so is one made while storage is down."""
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        table = conn.execute("SELECT to_regclass('erasures') IS NOT NULL AS ok").fetchone()
        if not (table and table["ok"]):
            click.echo("note: this backup predates erasures; run `crowdsource migrate`, then "
                       "`crowdsource refresh` to apply the erasures made since")  # fmt: skip
            return
        try:
            storage = checked_storage(settings, batch=True)
            again = reapply_erasures(conn, storage)
        except StorageError as exc:
            raise BackupError(
                f"restored, but the erasures could not be applied again: {exc.message}; "
                "run `crowdsource refresh` once storage answers (it applies them)"
            ) from None
    for who in again:
        click.echo(f"erased again: contributor {who} (erased after this backup was made)")


def check_archive(file: Path) -> None:
    """Raise BackupError unless `file` starts like a pg_dump custom-format archive."""
    try:
        with file.open("rb") as archive:
            head = archive.read(len(ARCHIVE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {file}: {exc.strerror or type(exc).__name__}") from None
    if head != ARCHIVE_MAGIC:
        raise BackupError(
            f"{file} is not a pg_dump custom-format archive (make one with crowdsource backup)"
        )


def server_major_version(url: str) -> int:
    """The database server's major version (16 for 16.2). Raises BackupError."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SHOW server_version_num").fetchone()
    except psycopg.Error as exc:
        raise BackupError(f"cannot read the server version: {describe_db_error(exc)}") from None
    assert row is not None
    return int(row[0]) // 10000


def count_user_relations(url: str) -> int:
    """How many tables, views and sequences the database holds outside the system schemas."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(_USER_RELATIONS).fetchone()
    except psycopg.Error as exc:
        raise BackupError(f"cannot inspect the database: {describe_db_error(exc)}") from None
    assert row is not None
    return int(row[0])


def find_pg_tool(name: str, server_major: int, *, pg_bin: Path | None, embedded: bool) -> Path:
    """The `name` binary (pg_dump, pg_restore) able to work with a `server_major` server.

    A tool works with servers of its own major version or older. With `pg_bin`, only that
    folder is looked in; otherwise the embedded server's bin/ for the embedded database, else
    PATH first and the embedded server's bin/ after it. Raises BackupError saying what was
    found when none fits.
    """
    if pg_bin is not None:
        candidates = [pg_bin / name]
    else:
        on_path = shutil.which(name)
        bundled_bin = _pgserver_bin()
        bundled = bundled_bin / name if bundled_bin else None
        ordered = [bundled] if embedded else [Path(on_path) if on_path else None, bundled]
        candidates = [path for path in ordered if path is not None]
    found = []
    for path in candidates:
        major = tool_major_version(path)
        if major is None:
            continue
        if major >= server_major:
            return path
        found.append(f"{path} is version {major}")
    if not found:
        where = f"in {pg_bin}" if pg_bin else "on PATH or in the embedded server"
        raise BackupError(
            f"{name} not found {where}; install the PostgreSQL {server_major} client tools "
            "or point --pg-bin at their folder"
        )
    raise BackupError(
        f"{name} for PostgreSQL {server_major} or newer is needed ({'; '.join(found)}); "
        f"install the PostgreSQL {server_major} client tools or point --pg-bin at their folder"
    )


def tool_major_version(path: Path) -> int | None:
    """The major version `path --version` reports, or None if it cannot be run."""
    try:
        answer = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(answer.stdout)
    return int(match.group(1)) if answer.returncode == 0 and match else None


def split_password(url: str) -> tuple[str, dict[str, str]]:
    """The connection string without its password, and an environment carrying it as
    PGPASSWORD (so it is never on a command line, where `ps` would show it)."""
    params = conninfo.conninfo_to_dict(url)
    password = params.pop("password", None)
    env = os.environ.copy()
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return conninfo.make_conninfo("", **params), env


def _run(tool: Path, args: list[str], env: dict[str, str], *, what: str | None = None) -> None:
    """Run a PostgreSQL tool; raise BackupError with its first error line if it fails."""
    try:
        done = subprocess.run(
            [str(tool), *args], env=env, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise BackupError(f"cannot run {tool}: {exc.strerror or type(exc).__name__}") from None
    if done.returncode != 0:
        raise BackupError(f"{what or tool.name + ' failed'}: {_first_error(done.stderr)}")


def _first_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line] or lines or ["no message"]
    return redact_url(" ".join(errors[0].split()))


def _dbname(url: str) -> str:
    return str(conninfo.conninfo_to_dict(url).get("dbname", "?"))


def _pgserver_bin() -> Path | None:
    """The bin/ folder of the embedded server's PostgreSQL build, if pgserver is installed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            from pgserver._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    return Path(POSTGRES_BIN_PATH)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
