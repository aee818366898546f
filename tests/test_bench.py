"""`crowdsource bench`, run as an operator runs it, on a tiny history for a second per endpoint."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import CLI

needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)

RESULT_LINE = re.compile(r"^(SENTENCES|STORE|CLIPS|VOTE) (\d+) (\d+\.\d) (\d+\.\d) (\d+)$")


@needs_wrk
def test_bench_ends_with_one_line_per_endpoint_and_every_write_is_new(cli: CLI) -> None:
    # A second of warm-up: each worker's first upload loads the speech detector, and on a busy
    # machine a cold one-second store run could end before any upload did.
    done = cli.run(
        "bench", "--duration", "1", "--warmup", "1", "--endpoint", "store",
        "--endpoint", "vote", "--contributions", "200", "--sentences-per-language", "300",
        timeout=180,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-2:]
    matches = [RESULT_LINE.match(line) for line in last]
    assert all(matches), last
    assert [m.group(1) for m in matches if m] == ["STORE", "VOTE"]
    for m in matches:
        assert m is not None
        assert int(m.group(2)) > 0, last  # requests were served
        # No failed request, and no write answered without adding its row (a replay).
        assert m.group(5) == "0", done.stdout
    # CPU per request answered, the app's and PostgreSQL's, at the shipped log level
    assert "app ms/req" in done.stdout and "pg ms/req" in done.stdout


@needs_wrk
def test_bench_leaves_no_server_or_scratch_folder_behind(cli: CLI) -> None:
    # A short TMPDIR of its own: PostgreSQL's socket path must stay under ~100 characters.
    scratch = Path(tempfile.mkdtemp(prefix="bench-test-"))
    cli.env["TMPDIR"] = str(scratch)

    done = cli.run(
        "bench", "--duration", "1", "--warmup", "0", "--endpoint", "sentences",
        "--endpoint", "clips", "--contributions", "100", "--sentences-per-language", "100",
        timeout=180,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    leftovers = list(scratch.glob("crowdsource-bench-*"))
    running = str(scratch) in _process_lines()
    shutil.rmtree(scratch)  # pgserver's runtime folder is made there too
    assert not leftovers
    assert not running


def test_bench_refuses_an_unknown_endpoint_in_one_line(cli: CLI) -> None:
    done = cli.run("bench", "--endpoint", "nope")

    assert done.returncode != 0
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "nope" in done.stderr and "sentences" in done.stderr


def _process_lines() -> str:
    """The command lines of every running process."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
    return "\n".join(lines)
