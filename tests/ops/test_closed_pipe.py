"""Output into a pipe whose reader has gone (`crowdsource languages list | head -1`) ends
quietly: exit 0 or 141 (128 + SIGPIPE), nothing on stderr about a broken pipe."""

from __future__ import annotations

import subprocess

from tests.conftest import BIN, CLI, TEST_SECRET


def test_output_into_a_closed_pipe_ends_quietly(cli: CLI, database_url: str) -> None:
    env = {**cli.env, "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET}
    proc = subprocess.Popen(
        [str(BIN / "crowdsource"), "languages", "list"],
        env=env,
        cwd=cli.cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes a byte

    stderr = proc.stderr.read()
    returncode = proc.wait(timeout=60)

    assert returncode in (0, 141), (returncode, stderr)
    assert "BrokenPipe" not in stderr and "internal error" not in stderr, stderr
    assert stderr.strip() == ""
