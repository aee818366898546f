"""The embedded PostgreSQL (pgserver) used when no database server is configured.

One server per data folder, started by whichever process needs it first and shared by all
the others (pgserver keeps a list of the processes holding it and stops the server when the
last one exits). We add two things: dead holders are pruned first (a `serve` killed with
SIGKILL would otherwise keep the server alive forever), and our own database is created.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import threading
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


def supervise_embedded_postgres(
    pgdata: Path, *, every_s: float = 1.0, stop: threading.Event | None = None
) -> threading.Thread:
    """Watch the embedded server in `pgdata` from a daemon thread and start it again when its
    postmaster has died (killed, OOM); PostgreSQL's own crash recovery does the rest.

    Meanwhile requests fail as in any outage (503 with Retry-After) and the pools reconnect
    once it is back: no process needs a restart. Call it in the process that serves (the
    gunicorn master: threads do not survive into forked workers). `stop` ends the loop.
    """
    stop = stop or threading.Event()
    pgdata = pgdata.expanduser().resolve()
    # At exit pgserver stops the server if this process is its last holder: stop watching
    # first (atexit runs handlers last-registered first, and pgserver registered when this
    # process joined the server), or the supervisor would start it again behind our back.
    atexit.register(stop.set)

    def loop() -> None:
        while not stop.wait(every_s):
            if postmaster_alive(pgdata):
                continue
            log.warning("embedded postgres: the server in %s is not running; starting it", pgdata)
            try:
                restart_embedded_postgres(pgdata, unless=stop)
            except Exception as exc:  # keep watching: the next tick tries again
                log.error("embedded postgres: restart failed: %s", _first_line(exc))
            else:
                # A killed postmaster left unreaped (a zombie) still holds its lock file, and
                # PostgreSQL rightly refuses to start beside it: wait for it to be reaped.
                if postmaster_alive(pgdata):
                    log.warning("embedded postgres: the server in %s is running again", pgdata)

    thread = threading.Thread(target=loop, name="embedded-postgres-supervisor", daemon=True)
    thread.start()
    return thread


def restart_embedded_postgres(pgdata: Path, *, unless: threading.Event | None = None) -> None:
    """Start the server in `pgdata` unless a live postmaster already runs there (another
    process may have started it first: pgserver's inter-process lock orders us) or `unless`
    is set (this process is exiting)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        from pgserver.postgres_server import PostgresServer

    pgdata = pgdata.expanduser().resolve()
    with PostgresServer._lock:
        if postmaster_alive(pgdata) or (unless is not None and unless.is_set()):
            return
        server = PostgresServer._instances.get(pgdata)
        if server is not None:
            server.ensure_postgres_running()
            return
    pgserver.get_server(pgdata, cleanup_mode="stop")  # not joined yet in this process


def postmaster_alive(pgdata: Path) -> bool:
    """True if the postmaster named in `pgdata`/postmaster.pid runs (a zombie left unreaped
    by a dead parent counts as dead)."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return _is_running(pid)  # no /proc (macOS): ask the kernel
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


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
