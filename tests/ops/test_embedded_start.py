"""First start on a fresh DATA_DIR: any number of commands started at once all succeed.

Each of them starts (or joins) the embedded PostgreSQL and creates our database if it is
missing; before the fix two CREATE DATABASE statements met in the catalog's unique index one
time in three. Bounded: 8 processes, each given 120 s.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.live_server import BIN, clean_env

pytestmark = pytest.mark.slow

COMMANDS = 8


def test_concurrent_commands_on_a_fresh_data_dir_all_succeed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**clean_env(), "DATA_DIR": str(data)}
    # `migrate up` from every process: all of them start or join the server, create the
    # database and take the migration lock; half of them then also ask for the status.
    commands = [["migrate", "up"]] * (COMMANDS // 2) + [["migrate", "status"]] * (COMMANDS // 2)
    processes = [_start(args, env, tmp_path) for args in commands]
    results = []
    for process in processes:
        out, _ = process.communicate(timeout=120)
        results.append((process.returncode, out))
    failed = [(code, out) for code, out in results if code != 0]
    assert not failed, failed
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
