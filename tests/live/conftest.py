"""Fixtures for tests against the app as it runs in production: `crowdsource serve`
(gunicorn, two workers of four threads) on 127.0.0.1, over a fresh migrated database with
the demo sentences. Rate limits are off: these tests send many requests from one address on
purpose, and the limits have tests of their own."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI, TEST_SECRET, _fresh_database
from tests.live_server import LiveApp, clean_env, serve

LIVE_ENV = {"SECRET_KEY": TEST_SECRET, "RATE_LIMITS": "off", "WEB_CONCURRENCY": "2", "THREADS": "4"}


@contextlib.contextmanager
def live_app_in(workdir: Path, database_url: str, **env: str) -> Iterator[LiveApp]:
    """The app under gunicorn with its working folder, local storage (workdir/storage) and
    TMPDIR (workdir/spool, where anything it spooled to disk would appear) in `workdir`."""
    (workdir / "cwd").mkdir(parents=True)
    (workdir / "spool").mkdir()
    cli = CLI(clean_env(), workdir / "cwd")
    settings = {
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(workdir / "storage"),
        "TMPDIR": str(workdir / "spool"),
        **LIVE_ENV,
        **env,
    }
    with serve(cli, "--demo", "--refresh-every", "off", **settings) as app:
        yield app


@pytest.fixture
def live_database_url(admin_url: str, template_db: str) -> Iterator[str]:
    yield from _fresh_database(admin_url, template_db)


@pytest.fixture
def live_app(live_database_url: str, tmp_path: Path) -> Iterator[LiveApp]:
    with live_app_in(tmp_path / "live", live_database_url) as app:
        yield app
