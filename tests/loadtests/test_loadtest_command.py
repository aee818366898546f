"""`crowdsource loadtest` and `functional-test` refuse bad input before anything starts, and
the summary is read back from Locust's CSV."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from ops.loadtest import (
    LoadTestError,
    check_host,
    locust_command,
    make_plan,
    parse_max_requests,
    parse_run_time,
    parse_scale,
    run_locust,
    time_limit,
)
from ops.loadtest_report import format_summary, read_stats
from tests.conftest import CLI
from tests.test_cli import assert_one_clear_line


@pytest.mark.parametrize(
    "host",
    ["http://127.0.0.1:8080", "http://localhost:8080/", "http://[::1]:8080", "http://127.9.9.9"],
)
def test_loopback_hosts_are_always_allowed(host: str) -> None:
    assert check_host(host, allow_remote=False) == host.rstrip("/")


def test_any_other_host_needs_allow_remote() -> None:
    with pytest.raises(
        LoadTestError, match=r"staging\.example\.org is not this machine.*--allow-remote"
    ):
        check_host("https://staging.example.org", allow_remote=False)
    assert check_host("https://staging.example.org/", allow_remote=True) == (
        "https://staging.example.org"
    )
    with pytest.raises(LoadTestError, match="not this machine"):
        check_host("http://10.0.0.5:8080", allow_remote=False)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8080", "ftp://127.0.0.1", "http://", "http://127.0.0.1:99999", "http://127.0.0.1/x",
     "http://127.0.0.1/?a=1"],
)  # fmt: skip
def test_a_malformed_host_is_refused(host: str) -> None:
    with pytest.raises(LoadTestError, match="--host"):
        check_host(host, allow_remote=True)


def test_a_cdn_base_may_carry_a_path() -> None:
    base = check_host(
        "https://cdn.example.org/bucket/", allow_remote=True, option="--dashboard-base",
        allow_path=True,
    )  # fmt: skip
    assert base == "https://cdn.example.org/bucket"


def test_run_time_is_a_positive_duration() -> None:
    assert [parse_run_time(t) for t in ("90", "90s", "5m", "1h30m")] == [90, 90, 300, 5400]
    for bad in ("0", "0s", "soon", "-5s", ""):
        with pytest.raises(LoadTestError):
            parse_run_time(bad)


def test_scale_is_a_positive_number() -> None:
    assert parse_scale("0.005") == 0.005
    for bad in ("-1", "0", "x", "inf", "nan"):
        with pytest.raises(LoadTestError, match="--scale"):
            parse_scale(bad)


def test_the_time_bound_comes_from_run_time_or_the_profile() -> None:
    plan = make_plan("scalability", 0.01, "", "")
    assert time_limit(plan, None) == plan.profile.run_time_s
    assert time_limit(plan, "2m") == 120


def test_max_requests_replaces_the_profiles_count_bound() -> None:
    assert make_plan("scalability", 1, "", "", parse_max_requests("200000")).request_budget == (
        200_000
    )
    assert parse_max_requests(None) == 0  # not given: the profile's count
    for bad in ("0", "-3", "many", "1.5"):
        with pytest.raises(LoadTestError, match="--max-requests"):
            parse_max_requests(bad)


def test_bad_profile_weights_or_think_time_are_refused_before_the_run() -> None:
    for args in (("soak", 1, "", ""), ("load", 1, "9,1", ""), ("load", 1, "", "robot=2")):
        with pytest.raises(LoadTestError):
            make_plan(*args)


def test_locust_runs_headless_bounded_and_writes_csv_and_html(tmp_path: Path) -> None:
    command = locust_command(
        host="http://127.0.0.1:1", profile="load", scale=0.01, run_time_s=30, out=tmp_path
    )
    assert command[1:3] == ["-m", "locust"] and "--headless" in command
    assert command[command.index("--run-time") + 1] == "30s"
    assert command[command.index("--csv") + 1] == str(tmp_path / "locust")
    assert command[command.index("--html") + 1] == str(tmp_path / "report.html")


STATS_CSV = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
POST,POST vote,12,1,10,10.1,3.0,19.0,120.0,0.65,0.05,10,10,15,15,18,19,19,19,19,19,19
GET,GET clips,74,0,5,12.4,2.3,154.5,198.3,4.02,0.0,5,7,9,10,16,70,120,150,150,150,150
GET,GET nothing,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A
,Aggregated,86,1,7,17.0,1.0,349.0,1000.0,4.67,0.05,7,11,16,21,33,70,120,160,350,350,350
"""  # noqa: E501 (Locust's header line)


def test_the_summary_has_one_row_per_endpoint_and_the_total_last(tmp_path: Path) -> None:
    path = tmp_path / "locust_stats.csv"
    path.write_text(STATS_CSV)
    rows = read_stats(path)
    assert [r.name for r in rows] == ["GET clips", "GET nothing", "POST vote", "Aggregated"]
    vote = rows[2]
    assert (vote.requests, vote.failures, vote.p50_ms, vote.p95_ms, vote.p99_ms) == (
        12, 1, 10, 19, 19,
    )  # fmt: skip
    table = format_summary(rows).splitlines()
    assert table[0].split() == ["ENDPOINT", "REQUESTS", "FAILURES", "REQ/S", "P50_MS", "P95_MS",
                                "P99_MS"]  # fmt: skip
    assert table[1].split() == ["GET", "clips", "74", "0", "4.0", "5", "70", "150"]
    assert table[2].split()[-3:] == ["-", "-", "-"]  # never called: no percentiles


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--profile", "soak", "--host", "http://127.0.0.1:9"), "unknown profile 'soak'"),
        (("--scale", "-2", "--host", "http://127.0.0.1:9"), "--scale must be a positive"),
        (("--host", "127.0.0.1:8080"), "is not a URL"),
        (("--host", "https://prod.example.org"), "--allow-remote"),
        (("--host", "http://127.0.0.1:9", "--run-time", "0"), "needs a time bound"),
        (("--host", "http://127.0.0.1:9", "--run-time", "10s"), "nothing answers"),
    ],
)
def test_the_loadtest_command_refuses_bad_input_in_one_line(
    cli: CLI, args: tuple[str, ...], fragment: str
) -> None:
    result = cli.run("loadtest", *args)
    assert_one_clear_line(result, fragment)


def test_functional_test_refuses_a_url_that_is_not_http(cli: CLI) -> None:
    result = cli.run("functional-test", "--base-url", "ftp://example.org")
    assert_one_clear_line(result, "is not an http(s) URL")


def test_help_says_remote_hosts_must_be_named_on_purpose(cli: CLI) -> None:
    result = cli.run("loadtest", "--help")
    assert result.returncode == 0
    assert "--allow-remote" in result.stdout and "loopback" in result.stdout


def test_a_locust_that_outlives_its_deadline_is_stopped_even_when_silent(tmp_path: Path) -> None:
    silent = [sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"]
    started = time.monotonic()
    with pytest.raises(LoadTestError, match="did not stop within 1 s"):
        run_locust(silent, tmp_path / "locust.log", deadline_s=1, echo=False)
    assert time.monotonic() - started < 20
    assert (tmp_path / "locust.log").read_text() == "started\n"
