"""Database plumbing: where the database is, and a connection pool to it.

Knows nothing of the domain. Every entry point (web app, each CLI command) resolves the
database the same way with `resolve_database_url`: the configured server, else the embedded
PostgreSQL for DATA_DIR, started if needed and shared with any other process using it.
"""

from __future__ import annotations

import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.abc import PQGen
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from app.errors import DatabaseUnavailable
from app.settings import Settings

# What domain code receives: a connection whose rows are dicts keyed by column name.
Conn = psycopg.Connection[DictRow]
RV = TypeVar("RV")

# A connection handed back to the pool less than this long ago is lent again without a test
# query: under load that test was a whole extra round trip per request (a third of a vote's
# time in the pool), and a connection used a moment ago is almost surely alive. If it died in
# between, the request fails as when the server dies mid-request (503 with Retry-After) and
# the pool drops the broken connection. (HikariCP calls this its "alive bypass window".)
CHECK_IF_IDLE_FOR_S = 1.0


class DeadlineConnection(psycopg.Connection[DictRow]):
    """A connection whose every wait for the server ends after `deadline_s` seconds.

    statement_timeout is the server's own limit; a frozen server (stopped process, hung host)
    never applies it, and without this a request would wait as long as the kernel keeps the
    socket open. Past the deadline the connection is closed (its protocol state is unknown,
    so the pool drops it) and the caller gets an OperationalError: 503 with Retry-After.
    Work that needs longer (exports, generate) opens its own connection, not a pooled one.
    """

    deadline_s: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        limit = self.deadline_s
        try:
            return super().wait(gen, interval, timeout if timeout is not None else limit)
        except psycopg.errors._WaitTimeout:
            self.close()
            raise psycopg.OperationalError(
                f"the database did not answer within {limit or timeout} s"
            ) from None


def resolve_database_url(settings: Settings) -> str:
    """The URL of the database to use, starting the embedded server when none is configured.

    Raises DatabaseUnavailable if the embedded server cannot start.
    """
    if settings.database_url is not None:
        return settings.database_url
    from app.db.embedded import start_embedded_postgres

    return start_embedded_postgres(settings.pgdata_dir)


def check_database(url: str, *, timeout: int = 5) -> None:
    """Connect once and run `SELECT 1`; raise DatabaseUnavailable with a one-line reason."""
    try:
        with psycopg.connect(url, connect_timeout=timeout, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        raise DatabaseUnavailable(
            f"cannot connect to the database at {redact_url(url)}: {describe_db_error(exc)}"
        ) from None


def redact_url(url: str) -> str:
    """The URL with any password replaced by '***', fit for logs and error messages."""
    url = re.sub(r"(://[^:/@?]*):[^@/?]*@", r"\1:***@", url)
    return re.sub(r"(password=)[^&\s]*", r"\1***", url)


def describe_db_error(exc: BaseException) -> str:
    """libpq's reason in one line, without the connection string it sometimes repeats."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = re.sub(r'connection to server (at|on) "[^"]*"[^,]*, ', "", text)
    return redact_url(text)


class Database:
    """A psycopg connection pool, opened lazily in the process that uses it.

    Lazy opening matters under gunicorn: the app object may be built before workers fork,
    and a pool's connections and threads must belong to the worker that uses them.
    """

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self._settings = settings
        self._pool: ConnectionPool[Conn] | None = None
        self._pid = 0
        self._lock = threading.Lock()
        # Observers of the pool (app.metrics sets them): seconds a caller waited for a
        # connection, and callers that got none in time.
        self.on_wait: Callable[[float], None] = lambda _seconds: None
        self.on_timeout: Callable[[], None] = lambda: None
        self.on_release: Callable[[], None] = lambda: None  # a connection went back

    @property
    def pool(self) -> ConnectionPool[Conn]:
        if self._pool is None or self._pid != os.getpid():
            with self._lock:  # two threads' first requests must not both open a pool
                if self._pool is None or self._pid != os.getpid():
                    self._pool = self._make_pool()
                    self._pid = os.getpid()
        return self._pool

    def _make_pool(self) -> ConnectionPool[Conn]:
        settings = self._settings
        statement_timeout = settings.db_statement_timeout_ms

        # The client's own limit on any wait for the server: the server's statement_timeout
        # plus the connect timeout as grace for its answer to arrive (0 means no limit).
        deadline_s = (
            statement_timeout / 1000 + settings.db_connect_timeout if statement_timeout else None
        )

        def configure(conn: Conn) -> None:
            if isinstance(conn, DeadlineConnection):
                conn.deadline_s = deadline_s
            conn.execute(f"SET statement_timeout = {int(statement_timeout)}")
            conn.execute("SET idle_in_transaction_session_timeout = 60000")
            conn.commit()

        kwargs: dict[str, Any] = {
            "connect_timeout": settings.db_connect_timeout,
            "row_factory": dict_row,
            # Seen in pg_stat_activity: `migrate down` refuses while a server holds the
            # database (app.db.migrations.SERVE_APPLICATION_NAME; no import: a cycle).
            "application_name": "crowdsource-serve",
            # Over TCP (libpq ignores these on unix sockets): a peer that vanished (host down,
            # network cut) is noticed by keepalives within ~1 min when idle, and unacknowledged
            # data gives up after the deadline instead of the kernel's ~15 min of retransmits.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
        if deadline_s:
            kwargs["tcp_user_timeout"] = int(deadline_s * 1000)
        pool: ConnectionPool[Conn] = ConnectionPool(
            self.url,
            connection_class=DeadlineConnection,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            kwargs=kwargs,
            configure=configure,
            check=_check_if_idle,
            reset=_note_return,
            timeout=settings.db_connect_timeout,
            # A failed connect is not retried in the background; the next request that needs
            # a connection tries again, so the pool recovers when the database comes back.
            reconnect_timeout=0,
            open=False,
            name="crowdsource",
        )
        pool.open(wait=False)
        return pool

    @contextmanager
    def connection(self) -> Iterator[Conn]:
        """A pooled connection inside a transaction, committed on success, rolled back on error.

        Raises DatabaseUnavailable when no connection can be had in time or the server is gone.
        """
        started = time.perf_counter()
        try:
            with self.pool.connection() as conn:
                self.on_wait(time.perf_counter() - started)
                yield conn
        except PoolTimeout:
            self.on_timeout()
            raise DatabaseUnavailable("the database is not answering; try again shortly") from None
        except psycopg.OperationalError as exc:
            if _is_connection_loss(exc):
                raise DatabaseUnavailable(
                    "the database connection was lost; try again shortly"
                ) from None
            raise
        finally:
            self.on_release()

    def pool_stats(self) -> dict[str, int] | None:
        """This process's pool counters (psycopg_pool's get_stats), or None before it opens."""
        pool = self._pool
        if pool is None or self._pid != os.getpid():
            return None
        return pool.get_stats()

    def close(self) -> None:
        if self._pool is not None and self._pid == os.getpid():
            self._pool.close()
        self._pool = None


_returned_at: weakref.WeakKeyDictionary[Conn, float] = weakref.WeakKeyDictionary()


def _note_return(conn: Conn) -> None:
    """Pool `reset` callback: remember when the connection came back."""
    _returned_at[conn] = time.monotonic()


def _check_if_idle(conn: Conn) -> None:
    """Pool `check` callback: test the connection with an empty query unless it came back
    within CHECK_IF_IDLE_FOR_S; raises if it is broken (the pool then replaces it)."""
    returned = _returned_at.get(conn)
    if returned is None or time.monotonic() - returned > CHECK_IF_IDLE_FOR_S:
        ConnectionPool.check_connection(conn)


def _is_connection_loss(exc: psycopg.OperationalError) -> bool:
    """True for errors that mean 'server gone', not for e.g. a statement timeout."""
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return False
    sqlstate = getattr(exc, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P"))
