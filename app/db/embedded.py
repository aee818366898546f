"""The embedded PostgreSQL (pgserver) used when no database server is configured.

One server per data folder, started by whichever process needs it first and shared by all
the others (pgserver keeps a list of the processes holding it and stops the server when the
last one exits). We add two things: dead holders are pruned first (a `serve` killed with
SIGKILL would otherwise keep the server alive forever), and our own database is created.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

from app.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

EMBEDDED_DB_NAME = "crowdsource"


def start_embedded_postgres(pgdata: Path, *, dbname: str = EMBEDDED_DB_NAME) -> str:
    """Start (or join) the embedded server in `pgdata`; return a URL to database `dbname`.

    Raises DatabaseUnavailable when the server cannot be initialised or started.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pgserver
        from pgserver.postgres_server import PostgresServer

    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with PostgresServer._lock:
            _prune_dead_holders(pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:
        raise DatabaseUnavailable(
            f"cannot start the embedded PostgreSQL in {pgdata}: {_first_line(exc)} "
            f"(its log is {pgdata / 'log'})"
        ) from exc
    admin_url = server.get_uri()
    # pgserver's inter-process lock already serialises initdb and the server's start; holding
    # it for CREATE DATABASE too means concurrent first commands create the database once.
    with PostgresServer._lock:
        ensure_database(admin_url, dbname)
    return server.get_uri(dbname)


def ensure_database(admin_url: str, dbname: str) -> None:
    """Create database `dbname` on the server behind `admin_url` unless it exists.

    Safe to run from many processes at once: losing the race to create it is success.
    """
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if exists is None:
            # Another process may create it between our check and our CREATE: PostgreSQL
            # reports that as DuplicateDatabase, or, when both CREATEs are in flight at once,
            # as a UniqueViolation on pg_database_datname_index.
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def _prune_dead_holders(pgdata: Path) -> None:
    """Drop pids of processes that no longer run from pgserver's list of holders."""
    holders_file = pgdata / ".handle_pids.json"
    if not holders_file.exists():
        return
    try:
        pids = json.loads(holders_file.read_text())
    except (OSError, ValueError):
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and _is_running(pid)]
    if alive != pids:
        log.info("embedded postgres: dropping %d stale holder(s)", len(pids) - len(alive))
        holders_file.write_text(json.dumps(alive))


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
