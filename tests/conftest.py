"""Fixtures that build real things: one embedded PostgreSQL per test run, a fresh database
per test (cloned from a migrated template), the app on top of it, and a CLI runner."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg import sql

from app import create_app
from app.db.embedded import start_embedded_postgres
from app.db.migrations import Migrator
from app.settings import Settings

# What a subprocess of the tests (the CLI, a live server) keeps of the environment: PATH-like
# basics and no inherited settings; PYTHONPATH, so a run from a git worktree tests its own code,
# not the editable install's.
KEEP_ENV = (
    "PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR", "SYSTEMROOT", "PYTHONPATH",
)  # fmt: skip

TEST_SECRET = "test-secret-key-not-for-production"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_AUDIO = PROJECT_ROOT / "tests" / "data" / "audio"  # see tests/data/README.md
BIN = Path(sys.executable).parent


def pytest_configure(config: pytest.Config) -> None:
    """A temporary folder of this run's own. pytest's default (numbered folders under one
    root, the oldest deleted at start) lets one run delete the embedded PostgreSQL of another
    run going on at the same time. This one is removed at exit, after the embedded server has
    stopped (atexit runs handlers last-registered first, and pgserver registers its own later)."""
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        config.option.basetemp = tempfile.mkdtemp(prefix="crowdsource-pytest-")
        atexit.register(shutil.rmtree, config.option.basetemp, ignore_errors=True)


def _url_for(admin_url: str, dbname: str) -> str:
    """The admin URL with another database name (works for socket and TCP URLs alike)."""
    params = psycopg.conninfo.conninfo_to_dict(admin_url)
    params["dbname"] = dbname
    return psycopg.conninfo.make_conninfo("", **params)


@pytest.fixture(scope="session")
def admin_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A URL to the `postgres` database of this test run's own embedded server."""
    pgdata = tmp_path_factory.mktemp("pg") / "pgdata"
    url = start_embedded_postgres(pgdata, dbname="postgres")
    return url


@pytest.fixture(scope="session")
def template_db(admin_url: str) -> str:
    """A database with every migration applied, cloned by `database_url`."""
    name = "cs_template"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    Migrator(_url_for(admin_url, name)).up()
    return name


def _fresh_database(admin_url: str, template: str | None) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(create)
    try:
        yield _url_for(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def database_url(admin_url: str, template_db: str) -> Iterator[str]:
    """A fresh, fully migrated database of this test's own."""
    yield from _fresh_database(admin_url, template_db)


@pytest.fixture
def empty_database_url(admin_url: str) -> Iterator[str]:
    """A fresh database with nothing in it (not even schema_migrations)."""
    yield from _fresh_database(admin_url, None)


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the test's database, for arranging and asserting."""
    with psycopg.connect(database_url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        yield conn


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings for a test. Validators' warm-up and the hidden known-answer checks
    are off here, so that a test's votes count as they are cast and its queues hold only the
    clips it made; the tests of trust (tests/api/test_trust.py) turn them back on."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        storage_dir=tmp_path / "storage",
        secret_key=TEST_SECRET,
        warmup_clips=0,
        known_answer_percent=0,
    )


@pytest.fixture
def app(settings: Settings, database_url: str) -> Iterator[Flask]:
    app = create_app(settings, database_url=database_url)
    app.config["TESTING"] = True
    yield app
    app.extensions["crowdsource.db"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class CLI:
    """Runs the installed `crowdsource` command in a subprocess with a controlled environment."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd

    def run(self, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "crowdsource"), *args],
            env={**self.env, **env},
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(BIN / "crowdsource"), *args],
            env={**self.env, **env},
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    """The CLI with a clean environment: only PATH-like basics, no inherited settings."""
    env = {k: v for k, v in os.environ.items() if k in KEEP_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    return CLI(env, workdir)
