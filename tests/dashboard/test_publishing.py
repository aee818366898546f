"""Readers always see one complete set; refreshes never overlap; reading costs no SQL."""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from app.dashboard.refresh import ADVISORY_LOCK_KEY
from ops.refresh import parse_duration
from tests.conftest import CLI, TEST_SECRET


def test_a_reader_during_refreshes_always_gets_one_complete_set(app, history, refresh, db) -> None:
    refresh()
    reader = app.test_client()
    stop = threading.Event()
    problems: list[str] = []
    reads = 0

    def read_forever() -> None:
        nonlocal reads
        while not stop.is_set():
            manifest = reader.get("/public/dashboard/manifest.json")
            if manifest.status_code != 200:
                problems.append(f"manifest {manifest.status_code}")
                continue
            body = manifest.get_json()
            for name, key in body["files"].items():
                document = reader.get(f"/{key}")
                if document.status_code != 200:
                    problems.append(f"{name}: {document.status_code}")
                elif document.get_json()["version"] != body["version"]:
                    problems.append(f"{name}: version {document.get_json()['version']}")
            reads += 1

    thread = threading.Thread(target=read_forever)
    thread.start()
    try:
        versions = set()
        for n in range(8):  # more than the versions kept, so old sets are pruned meanwhile
            db.execute(
                "UPDATE contributions SET duration_ms = duration_ms + 1 WHERE id %% 2 = %s",
                (n % 2,),
            )
            versions.add(refresh().version)
    finally:
        stop.set()
        thread.join(30)

    assert problems == [] and reads > 0 and len(versions) == 8
    kept = {
        key.split("/")[3]
        for key in app.extensions["crowdsource.storage"].list("public/dashboard/v/")
    }
    assert len(kept) == 5


def test_concurrent_refreshes_never_overlap(app, history, refresh, database_url) -> None:
    results: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run() -> None:
        start.wait()
        try:
            results.append(refresh())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    done = [r for r in results if r is not None]
    assert errors == [] and done
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT started_at, finished_at FROM dashboard_refreshes ORDER BY started_at"
        ).fetchall()
    assert len(rows) == len(done)
    for earlier, later in itertools.pairwise(rows):
        assert earlier[1] <= later[0]  # one after the other, never at the same time


@contextmanager
def refresh_lock_held(database_url: str):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        yield conn


def test_a_second_refresh_says_one_is_running_and_exits_cleanly(
    cli: CLI, database_url, tmp_path
) -> None:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "STORAGE_DIR": str(tmp_path / "s"),
    }
    with refresh_lock_held(database_url):
        busy = cli.run("refresh", **env)
    assert busy.returncode == 0 and "another refresh is running" in busy.stdout

    done = cli.run("refresh", **env)
    assert done.returncode == 0 and "published dashboard version" in done.stdout
    assert "dashboard_speakers" in done.stdout  # each step and its time


def test_a_refresh_that_cannot_reach_the_database_is_one_clear_line(cli: CLI, tmp_path) -> None:
    result = cli.run(
        "refresh",
        DATABASE_URL="postgresql://nobody:pw@127.0.0.1:9/none",
        SECRET_KEY=TEST_SECRET,
        DB_CONNECT_TIMEOUT="2",
    )
    assert result.returncode == 1
    assert result.stderr.startswith("crowdsource: error: cannot connect to the database")
    assert "Traceback" not in result.stderr


def test_a_failing_refresh_exits_non_zero_naming_the_step(
    cli: CLI, db, database_url, tmp_path
) -> None:
    db.execute("DROP MATERIALIZED VIEW dashboard_ranks")
    result = cli.run("refresh", DATABASE_URL=database_url, SECRET_KEY=TEST_SECRET,
                     STORAGE_DIR=str(tmp_path / "s"))  # fmt: skip
    assert result.returncode == 1
    assert "failed at step 'dashboard_ranks'" in result.stderr


@pytest.mark.parametrize(
    ("text", "seconds"), [("4h", 14400), ("30m", 1800), ("1h30m", 5400), ("90s", 90)]
)
def test_refresh_intervals_read_like_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["4", "soon", "1s", "4h-", ""])
def test_bad_refresh_intervals_are_refused(text: str) -> None:
    import click

    with pytest.raises(click.BadParameter):
        parse_duration(text)


class CountingDatabase:
    """Stands in for the app's database and counts every use of it."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.uses = 0

    @contextmanager
    def connection(self):
        self.uses += 1
        with self.real.connection() as conn:
            yield conn

    def __getattr__(self, name: str) -> Any:
        self.uses += 1
        return getattr(self.real, name)


def test_reading_the_dashboard_and_its_json_costs_the_database_nothing(
    app, history, refresh
) -> None:
    refresh()
    client = app.test_client()
    # A visitor with a session (a first page view issues one, which is a write of its own).
    assert client.post("/api/v1/session").status_code in (200, 201, 404, 405)
    counting = CountingDatabase(app.extensions["crowdsource.db"])
    app.extensions["crowdsource.db"] = counting

    page = client.get("/dashboard")
    manifest = client.get("/public/dashboard/manifest.json")
    files = [client.get(f"/{key}") for key in manifest.get_json()["files"].values()]

    assert page.status_code == 200 and manifest.status_code == 200
    assert all(f.status_code == 200 for f in files)
    assert manifest.headers["Cache-Control"] == "public, max-age=60"
    assert files[0].headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert counting.uses == 0


def test_unknown_or_unsafe_public_paths_are_404(client) -> None:
    for path in ("/public/dashboard/manifest.json", "/public/../secret_key", "/public/a/../../x",
                 "/public/Dashboard/X.json"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
