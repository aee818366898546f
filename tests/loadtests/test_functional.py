"""`crowdsource functional-test` against a live gunicorn, as after a deployment."""

from __future__ import annotations

import pytest

from tests.loadtests.conftest import LiveApp

pytestmark = pytest.mark.slow

READ_ONLY = ["healthz", "readyz", "languages", "openapi", "profile-options", "sentences",
             "clips", "unknown-language", "dashboard"]  # fmt: skip
WRITE = ["sessions", "set-profile", "upload", "cannot-vote-on-own", "clip-served", "vote-unheard",
         "listen", "vote", "totals"]  # fmt: skip


def checks_reported(stdout: str) -> dict[str, str]:
    """{check name: PASS or FAIL} from the command's output."""
    lines = [line.split() for line in stdout.splitlines() if line[:4] in ("PASS", "FAIL")]
    return {words[1]: words[0] for words in lines}


def test_read_only_checks_pass_and_write_nothing(live_app: LiveApp) -> None:
    before = live_app.cli.run("functional-test", "--base-url", live_app.url + "/")
    assert before.returncode == 0, before.stdout + before.stderr
    assert checks_reported(before.stdout) == dict.fromkeys(READ_ONLY, "PASS")
    assert "9 passed, 0 failed (read-only)" in before.stdout


def test_write_mode_records_votes_and_sees_the_totals(live_app: LiveApp) -> None:
    result = live_app.cli.run("functional-test", "--base-url", live_app.url, "--write")
    assert result.returncode == 0, result.stdout + result.stderr
    assert checks_reported(result.stdout) == dict.fromkeys(READ_ONLY + WRITE, "PASS")


def test_a_failing_check_is_reported_and_exits_non_zero(live_app: LiveApp) -> None:
    # A CDN base with nothing published: the dashboard check fails, the others still run.
    result = live_app.cli.run(
        "functional-test", "--base-url", live_app.url,
        "--dashboard-base", f"{live_app.url}/public/nowhere",
    )  # fmt: skip
    assert result.returncode == 1
    reported = checks_reported(result.stdout)
    assert reported.pop("dashboard") == "FAIL"
    assert set(reported.values()) == {"PASS"}
    assert "FAIL  dashboard" in result.stdout and "answered 404" in result.stdout
