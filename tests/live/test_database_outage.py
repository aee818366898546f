"""Fault injection: PostgreSQL is stopped under a live gunicorn in the middle of a stream of
uploads, then started again. Nothing a volunteer was told is saved may be lost, every other
answer is a quick, clear 503 with Retry-After, and the app serves again by itself."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests

from app.db.embedded import ensure_database
from tests.conftest import SAMPLE_AUDIO
from tests.live.conftest import live_app_in
from tests.live_server import LiveApp, StoppablePostgres

ANSWER_WITHIN_SECONDS = 10  # DB_CONNECT_TIMEOUT=2 plus the audio check, with room to spare
UPLOADERS = 3
AUDIO = (SAMPLE_AUDIO / "hi_1.wav").read_bytes()


@dataclass
class Answer:
    status: int
    seconds: float
    body: dict
    retry_after: str | None


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


def upload_stream(url: str, item: int, answers: list[Answer], done: threading.Event) -> None:
    """New visitors uploading one after another until `done`."""
    while not done.is_set():
        started = time.monotonic()
        try:
            response = requests.post(
                f"{url}/api/v1/recordings",
                data={"item_id": str(item), "idempotency_key": uuid.uuid4().hex},
                files={"audio": ("take.wav", AUDIO, "audio/wav")},
                timeout=60,
            )
        except requests.RequestException as exc:  # a dropped connection is a failure too
            answers.append(Answer(0, time.monotonic() - started, {"exc": repr(exc)}, None))
            continue
        answers.append(
            Answer(
                response.status_code,
                time.monotonic() - started,
                response.json(),
                response.headers.get("Retry-After"),
            )
        )


def wait_for_readiness(url: str, status: int, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if requests.get(f"{url}/readyz", timeout=10).status_code == status:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"/readyz did not answer {status} within {within} s")


def test_uploads_during_a_database_outage_are_kept_or_refused_with_503_and_service_resumes(
    app_on_stoppable_db: LiveApp, postgres: StoppablePostgres, tmp_path: Path
) -> None:
    url = app_on_stoppable_db.url
    item = requests.get(f"{url}/api/v1/languages/hi/sentences?count=1", timeout=10).json()
    item_id = item["sentences"][0]["id"]
    answers: list[Answer] = []
    done = threading.Event()
    uploaders = [
        threading.Thread(target=upload_stream, args=(url, item_id, answers, done))
        for _ in range(UPLOADERS)
    ]
    for thread in uploaders:
        thread.start()
    try:
        time.sleep(1.5)
        postgres.stop()
        wait_for_readiness(url, 503, within=ANSWER_WITHIN_SECONDS)
        during_outage = len(answers)
        time.sleep(3)
        postgres.start()
        wait_for_readiness(url, 200, within=20)
        after_restart = len(answers)
        time.sleep(2)
    finally:
        done.set()
        for thread in uploaders:
            thread.join(timeout=90)

    statuses = [a.status for a in answers]
    assert set(statuses) <= {201, 503}, [a for a in answers if a.status not in (201, 503)]
    assert 503 in statuses[during_outage:after_restart], "no upload met the outage"
    assert 201 in statuses[after_restart:], "the app did not serve again after the restart"
    assert max(a.seconds for a in answers) < ANSWER_WITHIN_SECONDS
    for refused in (a for a in answers if a.status == 503):
        assert refused.body["error"]["code"] == "database_unavailable"
        assert int(refused.retry_after or 0) > 0

    saved = {a.body["recording"]["id"] for a in answers if a.status == 201}
    with psycopg.connect(postgres.url("crowdsource")) as conn:
        rows = dict(conn.execute("SELECT public_id::text, media_key FROM contributions").fetchall())
    storage = tmp_path / "live" / "storage"
    objects = {
        p.relative_to(storage).as_posix()
        for p in storage.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert saved <= set(rows), "a recording answered 201 is missing from the database"
    assert set(rows.values()) <= objects, "a recording in the database has no object"
    assert objects - set(rows.values()) == set(), "objects left without a row"
