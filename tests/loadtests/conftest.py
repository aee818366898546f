"""A live server for the load and functional tests: `crowdsource serve` (gunicorn, two
workers) on a free local port, over a fresh migrated database with the demo sentences and a
published dashboard. One per package: starting gunicorn is the slow part, and each test
makes its own anonymous people, so they do not get in each other's way. Rate limits are off,
as docs/loadtests.md asks for a load test: every simulated person comes from 127.0.0.1, and
forty of them asking for sessions within a minute are more than one address may
(NEW_SESSIONS_PER_ADDRESS)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CLI, TEST_SECRET, _fresh_database
from tests.live_server import clean_env, serve


@dataclass(frozen=True)
class LiveApp:
    url: str
    cli: CLI  # runs `crowdsource` commands with the same clean environment


@pytest.fixture(scope="package")
def live_app(
    admin_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApp]:
    workdir: Path = tmp_path_factory.mktemp("loadtests")
    cli = CLI(clean_env(), workdir)
    databases = _fresh_database(admin_url, template_db)
    try:
        with serve(
            cli, "--demo", "--refresh-every", "1h",
            DATABASE_URL=next(databases),
            STORAGE_DIR=str(workdir / "storage"),
            SECRET_KEY=TEST_SECRET,
            WEB_CONCURRENCY="2",
            RATE_LIMITS="off",
        ) as app:  # fmt: skip
            yield LiveApp(app.url, cli)
    finally:
        databases.close()  # drops the database
