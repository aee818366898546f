"""Fault injection: PostgreSQL is frozen (SIGSTOP on the postmaster and every backend: alive
to the kernel, which keeps accepting and acknowledging, but silent) under a live gunicorn in
the middle of a stream of uploads. The server can no longer apply its statement_timeout, so
the client's own deadline (statement timeout + connect timeout) must: every answer comes
within it as 201 or 503, every 201 is kept, and the app serves again once the server thaws.

Bounded: 3 uploaders, 15 s frozen.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from app.db.embedded import ensure_database
from tests.live.conftest import live_app_in
from tests.live.traffic import assert_201_or_quick_503, uploads_running, wait_for_readiness
from tests.live_server import LiveApp, StoppablePostgres

pytestmark = pytest.mark.slow

CONNECT_TIMEOUT_S = 2
STATEMENT_TIMEOUT_MS = 2000
DEADLINE_S = STATEMENT_TIMEOUT_MS / 1000 + CONNECT_TIMEOUT_S
# a checked-out connection's wait ends at the deadline; a fresh connect then takes at most the
# connect timeout; plus the audio check and a busy machine
ANSWER_WITHIN_SECONDS = DEADLINE_S + CONNECT_TIMEOUT_S + 3
FROZEN_SECONDS = 15  # longer than the deadline: without it, answers would wait this long
UPLOADERS = 3


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[StoppablePostgres]:
    server = StoppablePostgres(tmp_path / "pgdata")
    try:
        yield server
    finally:
        _signal_server(server.pgdata, signal.SIGCONT)
        server.close()


@pytest.fixture
def app_on_postgres(postgres: StoppablePostgres, tmp_path: Path) -> Iterator[LiveApp]:
    ensure_database(postgres.admin_url, "crowdsource")
    settings = {
        "DB_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_S),
        "DB_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
    }
    with live_app_in(tmp_path / "live", postgres.url("crowdsource"), **settings) as app:
        yield app


def test_a_frozen_database_costs_a_request_at_most_the_client_deadline(
    app_on_postgres: LiveApp, postgres: StoppablePostgres
) -> None:
    url = app_on_postgres.url
    try:
        with uploads_running(url, UPLOADERS, postgres.url("crowdsource")) as answers:
            time.sleep(1.5)
            frozen_at = len(answers)
            _signal_server(postgres.pgdata, signal.SIGSTOP)
            time.sleep(FROZEN_SECONDS)
            thawed_at = len(answers)
            _signal_server(postgres.pgdata, signal.SIGCONT)
            wait_for_readiness(url, 200, within=20)
            after_recovery = len(answers)
            time.sleep(2)
    finally:
        _signal_server(postgres.pgdata, signal.SIGCONT)

    statuses = assert_201_or_quick_503(answers, within=ANSWER_WITHIN_SECONDS)
    assert 503 in statuses[frozen_at : thawed_at + UPLOADERS], "no upload met the freeze"
    assert 201 in statuses[after_recovery:], "the app did not serve again"

    saved = {a.body["recording"]["id"] for a in answers if a.status == 201}
    with psycopg.connect(postgres.url("crowdsource")) as conn:
        rows = {r[0] for r in conn.execute("SELECT public_id::text FROM contributions")}
    assert saved <= rows, "a recording answered 201 is missing from the database"


def _signal_server(pgdata: Path, signum: int) -> None:
    """Send `signum` to the postmaster in `pgdata` and every process it started."""
    with contextlib.suppress(OSError, ValueError):
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        postmaster = psutil.Process(pid)
        for process in [postmaster, *postmaster.children(recursive=True)]:
            with contextlib.suppress(psutil.Error, ProcessLookupError):
                os.kill(process.pid, signum)
