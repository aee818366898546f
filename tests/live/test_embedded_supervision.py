"""Fault injection in embedded mode: the embedded PostgreSQL's postmaster is killed (SIGKILL)
under a live `crowdsource serve` (its defaults: the server in DATA_DIR) in the middle of a
stream of uploads. `serve` notices and starts it again (PostgreSQL's crash recovery does the
rest): every upload answered 201 is kept (row and object), the others are 503 with
Retry-After, and /readyz is 200 again within 30 s, all without restarting `serve`.

Bounded: 3 uploaders, one kill, a 30 s recovery limit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from app.db.embedded import postmaster_alive, start_embedded_postgres
from tests.conftest import CLI
from tests.live.conftest import LIVE_ENV
from tests.live.traffic import assert_201_or_quick_503, uploads_running, wait_for_readiness
from tests.live_server import clean_env, serve

pytestmark = pytest.mark.slow

UPLOADERS = 3
READY_AGAIN_WITHIN_SECONDS = 30
ANSWER_WITHIN_SECONDS = 10  # DB_CONNECT_TIMEOUT=2 plus the audio check, with room to spare


def test_a_killed_embedded_postgres_is_started_again_and_no_upload_is_lost(
    tmp_path: Path,
) -> None:
    (tmp_path / "cwd").mkdir()
    cli = CLI(clean_env(), tmp_path / "cwd")
    data = tmp_path / "data"
    pgdata = data / "pgdata"
    # the live tests' settings (no rate limits: the uploaders are one address), on the
    # embedded defaults: no DATABASE_URL, no STORAGE_DIR
    env = {**LIVE_ENV, "DATA_DIR": str(data), "DB_CONNECT_TIMEOUT": "2"}
    with _stopped_at_the_end(pgdata), serve(cli, "--refresh-every", "off", **env) as live:
        database_url = start_embedded_postgres(pgdata)  # the same server, joined to count
        killed = _postmaster_pid(pgdata)
        with uploads_running(live.url, UPLOADERS, database_url) as answers:
            time.sleep(1.5)
            os.kill(killed, signal.SIGKILL)
            before_kill = len(answers)
            wait_for_readiness(live.url, 503, within=ANSWER_WITHIN_SECONDS)
            recovered_in = wait_for_readiness(live.url, 200, within=READY_AGAIN_WITHIN_SECONDS)
            after_recovery = len(answers)
            time.sleep(2)
        assert live.process.poll() is None, "serve exited"
        assert postmaster_alive(pgdata) and _postmaster_pid(pgdata) != killed
        with psycopg.connect(database_url) as conn:
            rows = dict(
                conn.execute("SELECT public_id::text, media_key FROM contributions").fetchall()
            )
    print(f"ready again {recovered_in:.1f} s after the outage was seen; {len(answers)} answers")

    statuses = assert_201_or_quick_503(answers, within=ANSWER_WITHIN_SECONDS)
    assert 503 in statuses[before_kill:], "no upload met the outage"
    assert 201 in statuses[after_recovery:], "the app did not serve again"

    saved = {a.body["recording"]["id"] for a in answers if a.status == 201}
    storage = data / "storage"
    objects = {
        p.relative_to(storage).as_posix()
        for p in storage.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert saved <= set(rows), "a recording answered 201 is missing from the database"
    assert set(rows.values()) <= objects, "a recording in the database has no object"


@contextlib.contextmanager
def _stopped_at_the_end(pgdata: Path) -> Iterator[None]:
    """The server the supervisor started again belongs to no process that stops it when serve
    and this test let go of it (each knew the killed one): stop it, so no postmaster outlives
    the test (fast shutdown, then SIGKILL if it lingers)."""
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            pid = _postmaster_pid(pgdata)
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and postmaster_alive(pgdata):
                time.sleep(0.2)
            if postmaster_alive(pgdata):
                os.kill(pid, signal.SIGKILL)


def _postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
