"""Fault injection: PostgreSQL is stopped under a live gunicorn in the middle of a stream of
uploads, then started again. Nothing a volunteer was told is saved may be lost, every other
answer is a quick, clear 503 with Retry-After, and the app serves again by itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from app.db.embedded import ensure_database
from tests.live.conftest import live_app_in
from tests.live.traffic import assert_201_or_quick_503, uploads_running, wait_for_readiness
from tests.live_server import LiveApp, StoppablePostgres

ANSWER_WITHIN_SECONDS = 10  # DB_CONNECT_TIMEOUT=2 plus the audio check, with room to spare
UPLOADERS = 3


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[StoppablePostgres]:
    server = StoppablePostgres(tmp_path / "pgdata")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def app_on_stoppable_db(postgres: StoppablePostgres, tmp_path: Path) -> Iterator[LiveApp]:
    ensure_database(postgres.admin_url, "crowdsource")
    url = postgres.url("crowdsource")
    with live_app_in(tmp_path / "live", url, DB_CONNECT_TIMEOUT="2") as app:
        yield app


def test_uploads_during_a_database_outage_are_kept_or_refused_with_503_and_service_resumes(
    app_on_stoppable_db: LiveApp, postgres: StoppablePostgres, tmp_path: Path
) -> None:
    url = app_on_stoppable_db.url
    with uploads_running(url, UPLOADERS, postgres.url("crowdsource")) as answers:
        time.sleep(1.5)
        postgres.stop()
        wait_for_readiness(url, 503, within=ANSWER_WITHIN_SECONDS)
        during_outage = len(answers)
        time.sleep(3)
        postgres.start()
        wait_for_readiness(url, 200, within=20)
        after_restart = len(answers)
        time.sleep(2)

    statuses = assert_201_or_quick_503(answers, within=ANSWER_WITHIN_SECONDS)
    assert 503 in statuses[during_outage:after_restart], "no upload met the outage"
    assert 201 in statuses[after_restart:], "the app did not serve again after the restart"

    saved = {a.body["recording"]["id"] for a in answers if a.status == 201}
    with psycopg.connect(postgres.url("crowdsource")) as conn:
        rows = dict(conn.execute("SELECT public_id::text, media_key FROM contributions").fetchall())
        items = {r[0] for r in conn.execute("SELECT media_key FROM dataset_rows").fetchall()}
    storage = tmp_path / "live" / "storage"
    objects = {
        p.relative_to(storage).as_posix()
        for p in storage.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert saved <= set(rows), "a recording answered 201 is missing from the database"
    assert set(rows.values()) <= objects, "a recording in the database has no object"
    # the demo's clips and images to transcribe and label are items' media, not recordings
    assert objects - set(rows.values()) - items == set(), "objects left without a row"
