"""First start on a fresh DATA_DIR: any number of commands started at once all succeed.

Each of them starts (or joins) the embedded PostgreSQL and creates our database if it is
missing; before the fix two CREATE DATABASE statements met in the catalog's unique index one
time in three. Bounded: `serve` and 7 commands, each given 120 s.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.live_server import BIN, clean_env, free_port, stop, wait_ready

pytestmark = pytest.mark.slow


def test_concurrent_commands_on_a_fresh_data_dir_all_succeed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    env = {**clean_env(), "DATA_DIR": str(data), "SECRET_KEY": TEST_SECRET, "PORT": str(port)}
    # `serve` and 7 commands at once, as an operator's first minute may bring: all of them
    # start or join the server and create the database; serve and `migrate up` then take the
    # migration lock; `migrate status` reads what is applied so far.
    commands = [["migrate", "up"]] * 4 + [["migrate", "status"]] * 3
    log = tmp_path / "serve.log"  # a file, not a pipe nobody reads while the others run
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(BIN / "crowdsource"), "serve", "--workers", "1", "--refresh-every", "off"],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    processes = [_start(args, env, tmp_path) for args in commands]
    try:
        results = []
        for process in processes:
            out, _ = process.communicate(timeout=120)
            results.append((process.returncode, out))
        failed = [(code, out) for code, out in results if code != 0]
        assert not failed, failed
        wait_ready(f"http://127.0.0.1:{port}/readyz", server, 120)
    finally:
        stop(server)
    assert server.returncode == 0, log.read_text()[-3000:]
    # and the database is whole: one more command finds every migration applied
    check = subprocess.run(
        [str(BIN / "crowdsource"), "migrate", "status", "--check"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def _start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "crowdsource"), *args], env=env, cwd=cwd,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
