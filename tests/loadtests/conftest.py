"""A live server for the load and functional tests: `crowdsource serve` (gunicorn, two
workers) on a free local port, over a fresh migrated database with the demo sentences and a
published dashboard, abuse limits off. One per package: starting gunicorn is the slow part,
and each test makes its own anonymous people, so they do not get in each other's way."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CLI, TEST_SECRET, _fresh_database
from tests.test_cli import free_port, stop, wait_ready


@dataclass(frozen=True)
class LiveApp:
    url: str
    cli: CLI  # runs `crowdsource` commands with the same clean environment


@pytest.fixture(scope="package")
def live_app(
    admin_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApp]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep} | {"PYTHONUNBUFFERED": "1"}
    workdir: Path = tmp_path_factory.mktemp("loadtests")
    cli = CLI(env, workdir)
    port = free_port()
    databases = _fresh_database(admin_url, template_db)
    database_url = next(databases)
    server = cli.start(
        "serve", "--demo", "--refresh-every", "1h",
        DATABASE_URL=database_url,
        STORAGE_DIR=str(workdir / "storage"),
        SECRET_KEY=TEST_SECRET,
        PORT=str(port),
        WEB_CONCURRENCY="2",
        # Every simulated person comes from 127.0.0.1, which the per-address abuse limits
        # (rightly) take for one very busy client; a load test turns them off, as bench does.
        RATE_LIMITS="off",
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/readyz", server)
        yield LiveApp(url, cli)
    finally:
        stop(server)
        databases.close()  # drops the database
