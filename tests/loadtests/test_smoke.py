"""The smoke test of issue #9: the `load` profile at a small scale against a live gunicorn,
at most 30 s of load, without a single failed request."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from tests.loadtests.conftest import LiveApp

pytestmark = pytest.mark.slow

JOURNEY_ENDPOINTS = {
    "POST session",  # each speaker and validator, once
    "GET languages", "GET sentences", "POST recording", "GET me",  # speaker
    "GET clips", "GET audio", "POST vote",  # validator
    "GET dashboard manifest", "GET dashboard file",  # dashboard reader
}  # fmt: skip


def test_the_load_profile_at_small_scale_runs_against_gunicorn_without_failures(
    live_app: LiveApp, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    started = time.monotonic()
    result = live_app.cli.run(
        "loadtest", "--profile", "load", "--host", live_app.url,
        "--scale", "0.002", "--run-time", "30s", "--out", str(out),
        timeout=120,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr + _log(out)
    assert elapsed < 30 + 60  # Locust's start-up and report on a busy machine come on top

    with (out / "locust_stats_history.csv").open() as handle:
        stamps = [int(row["Timestamp"]) for row in csv.DictReader(handle)]
    assert max(stamps) - min(stamps) <= 30 + 2  # at most 30 s of load

    assert (out / "locust_stats.csv").is_file()
    assert (out / "locust_failures.csv").is_file()
    assert (out / "locust_stats_history.csv").is_file()
    report = (out / "report.html").read_text()
    assert "<html" in report.lower() and "echarts" in report.lower()  # the charts

    with (out / "locust_stats.csv").open() as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    assert int(total["Failure Count"]) == 0
    retried = sum(int(r["Request Count"]) for n, r in rows.items() if n.endswith("(retried)"))
    # 40 users × 9 requests: the count bound (attempts dropped and retried come on top)
    assert 0 < int(total["Request Count"]) - retried <= 40 * 9
    # Every journey ran: speakers uploaded, validators voted on their takes, readers read.
    for name in ("POST recording", "GET me", "GET clips", "GET dashboard file"):
        assert int(rows[name]["Request Count"]) > 0, name

    summary = result.stdout.splitlines()
    header = next(i for i, line in enumerate(summary) if line.startswith("ENDPOINT"))
    assert summary[header].split()[1:] == [
        "REQUESTS", "FAILURES", "REQ/S", "P50_MS", "P95_MS", "P99_MS",
    ]  # fmt: skip
    table = summary[header + 1 : header + 1 + len(rows)]
    listed = {" ".join(line.split()[:-6]) for line in table}  # the name, before six numbers
    assert set(rows) - {"Aggregated"} <= listed and "Aggregated" in listed
    # Besides the journeys' endpoints, only attempts dropped by the keep-alive race and
    # retried (see loadtests/journeys.py) may appear.
    endpoints = {name.removesuffix(" (reset, retried)") for name in rows} - {"Aggregated"}
    assert endpoints <= JOURNEY_ENDPOINTS | {"POST clip skip"}


def _log(out: Path) -> str:
    log = out / "locust.log"
    return log.read_text()[-3000:] if log.is_file() else ""
