"""The connection pool lends a connection without a test query when it was just used, and
still replaces one that died while it sat idle."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest
from psycopg_pool import ConnectionPool

import app.db
from app.db import Database
from app.settings import Settings


@pytest.fixture
def database(database_url: str, settings: Settings) -> Iterator[Database]:
    """A pool of exactly one connection, so every checkout lends the same one."""
    database = Database(database_url, replace(settings, db_pool_min=1, db_pool_max=1))
    yield database
    database.close()


@pytest.fixture
def test_queries(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every test query the pool makes before lending a connection."""
    made: list[object] = []
    original = ConnectionPool.check_connection

    def counted(conn: psycopg.Connection) -> None:
        made.append(conn)
        original(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counted))
    return made


def test_a_connection_just_returned_is_lent_again_without_a_test_query(
    database: Database, test_queries: list[object]
) -> None:
    with database.connection() as conn:
        conn.execute("SELECT 1")
    before = len(test_queries)  # a connection never lent before may be tested

    with database.connection() as conn:
        conn.execute("SELECT 1")

    assert len(test_queries) == before


def test_a_connection_that_died_while_idle_is_replaced_before_it_is_lent(
    database: Database, db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch,
    test_queries: list[object],
) -> None:  # fmt: skip
    monkeypatch.setattr(app.db, "CHECK_IF_IDLE_FOR_S", 0.0)
    with database.connection() as conn:
        first = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
    db.execute("SELECT pg_terminate_backend(%s)", (first,))

    with database.connection() as conn:
        second = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]

    assert second != first
    assert test_queries  # the dead connection was found by the test query, not by a request
