"""gunicorn's options, and `gunicorn --config python:app.gunicorn_conf app.wsgi:app` (the
container's command) run as a container runs it: a subprocess configured by its environment."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests
from gunicorn.config import KNOWN_SETTINGS

from app.gunicorn_conf import WORKER_CLASS, gunicorn_options
from app.settings import Settings
from tests.conftest import BIN, CLI, TEST_SECRET
from tests.test_cli import free_port, stop, wait_ready

GUNICORN = [str(BIN / "gunicorn"), "--config", "python:app.gunicorn_conf", "app.wsgi:app"]


def container_env(cli: CLI, database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """What the Kubernetes Deployment gives the container, on a free local port."""
    return {
        **cli.env,
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(tmp_path / "storage"),
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "1",
        "THREADS": "2",
        **extra,
    }


def printed_config(env: dict[str, str], cwd: Path) -> dict[str, str]:
    """gunicorn's effective settings (`--print-config`), name -> printed value."""
    result = subprocess.run(
        [*GUNICORN[:1], "--print-config", *GUNICORN[1:]],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    config = {}
    for line in result.stdout.splitlines():
        name, sep, value = line.partition(" = ")
        if sep:
            config[name.strip()] = value.strip()
    return config


def test_options_come_from_the_settings_by_gunicorn_names() -> None:
    settings = Settings(host="0.0.0.0", port=9000, workers=3, threads=6, log_level="WARNING")
    options = gunicorn_options(settings, environ={})
    assert options["bind"] == "0.0.0.0:9000"
    assert (options["workers"], options["threads"]) == (3, 6)
    assert options["worker_class"] == WORKER_CLASS == "app.server.worker.BufferedThreadWorker"
    assert options["loglevel"] == "warning"
    assert options["forwarded_allow_ips"] == "127.0.0.1"
    assert set(options) <= {setting.name for setting in KNOWN_SETTINGS}


def test_an_operators_forwarded_allow_ips_is_kept() -> None:
    environ = {"FORWARDED_ALLOW_IPS": "10.0.0.0/8,192.168.0.1"}
    options = gunicorn_options(Settings(), environ=environ)
    assert options["forwarded_allow_ips"] == "10.0.0.0/8,192.168.0.1"


def test_the_config_file_takes_bind_workers_and_proxies_from_the_environment(
    cli: CLI, database_url: str, tmp_path: Path
) -> None:
    env = container_env(cli, database_url, tmp_path, HOST="0.0.0.0", WEB_CONCURRENCY="3")
    config = printed_config(env, cli.cwd)
    assert config["bind"] == f"['0.0.0.0:{env['PORT']}']"
    assert config["workers"] == "3"
    assert config["threads"] == "2"
    assert config["worker_class"] == "app.server.worker.BufferedThreadWorker"
    assert config["forwarded_allow_ips"] == "['127.0.0.1']"

    behind_ingress = printed_config({**env, "FORWARDED_ALLOW_IPS": "10.0.0.0/8"}, cli.cwd)
    assert behind_ingress["forwarded_allow_ips"] == "['10.0.0.0/8']"


@pytest.mark.slow
def test_gunicorn_with_the_config_file_serves_the_app(
    cli: CLI, database_url: str, tmp_path: Path
) -> None:
    env = container_env(cli, database_url, tmp_path)
    base = f"http://127.0.0.1:{env['PORT']}"
    process = subprocess.Popen(
        GUNICORN,
        env=env,
        cwd=cli.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_ready(f"{base}/healthz", process).status_code == 200
        ready = requests.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert f"Listening at: http://127.0.0.1:{env['PORT']}" in output
    assert "Using worker: app.server.worker.BufferedThreadWorker" in output
    assert "Traceback" not in output


def test_the_worker_class_is_gthread_reading_requests_before_a_thread_serves_them() -> None:
    from gunicorn.util import load_class
    from gunicorn.workers.gthread import ThreadWorker

    worker = load_class(WORKER_CLASS)
    assert issubclass(worker, ThreadWorker)


def test_a_bad_setting_stops_gunicorn_with_one_clear_line(cli: CLI, tmp_path: Path) -> None:
    env = {**cli.env, "PORT": "abc", "DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        GUNICORN, env=env, cwd=cli.cwd, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == ["crowdsource: error: PORT: 'abc' is not a whole number"], result.stderr
