"""Over TCP, the app's connections carry keepalives and a TCP user timeout (app/db/__init__.py):
a database host that vanishes is noticed in about a minute when idle, and unacknowledged data
gives up after the client's deadline instead of the kernel's ~15 minutes of retransmits.

The test server listens on a unix socket only, so a loopback forwarder stands in front of it;
the options are read back from the client's own socket, as the kernel applies them."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest

from app.db import Database
from app.settings import Settings


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for end in (source, sink):
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def tcp_url(database_url: str) -> Iterator[str]:
    """The test database, reached over TCP on loopback."""
    params = psycopg.conninfo.conninfo_to_dict(database_url)
    unix_path = os.path.join(str(params["host"]), f".s.PGSQL.{params.get('port') or 5432}")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    opened: list[socket.socket] = [listener]

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(unix_path)
            opened.extend([client, server])
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    params.update(host="127.0.0.1", port=str(port))
    yield psycopg.conninfo.make_conninfo("", **params)
    for end in opened:
        end.close()


def test_a_pooled_connection_over_tcp_has_keepalives_and_a_user_timeout(
    tcp_url: str, settings: Settings
) -> None:
    rules = replace(settings, db_pool_min=1, db_pool_max=1, db_statement_timeout_ms=15000)
    database = Database(tcp_url, rules)
    try:
        with database.connection() as conn:
            assert conn.execute("SELECT 1 AS one").fetchone() == {"one": 1}
            with socket.socket(fileno=os.dup(conn.pgconn.socket)) as mine:  # a copy of its fd
                assert mine.family == socket.AF_INET
                tcp = socket.IPPROTO_TCP
                options = {
                    "keepalive": mine.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                    "idle": mine.getsockopt(tcp, socket.TCP_KEEPIDLE),
                    "interval": mine.getsockopt(tcp, socket.TCP_KEEPINTVL),
                    "count": mine.getsockopt(tcp, socket.TCP_KEEPCNT),
                    "user_timeout_ms": mine.getsockopt(tcp, socket.TCP_USER_TIMEOUT),
                }
    finally:
        database.close()
    deadline_ms = (15000 / 1000 + settings.db_connect_timeout) * 1000
    assert options == {
        "keepalive": 1, "idle": 30, "interval": 10, "count": 3,
        "user_timeout_ms": int(deadline_ms),
    }  # fmt: skip
