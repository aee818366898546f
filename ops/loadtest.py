"""`crowdsource loadtest`: a named Locust profile against one host, headless and bounded.

Everything is checked before Locust starts (profile, scale, time bound, host, think time,
weights), so bad input is one line and never a half-started run. Locust runs as a subprocess
(`python -m locust -f loadtests/locustfile.py`): it monkey-patches the standard library with
gevent, which must not happen inside this process. Its CSV and HTML report land in the out
folder; the summary printed at the end is read back from the stats CSV.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

import click

from app.errors import CrowdsourceError
from ops.loadtest_report import EndpointStats, format_summary, read_stats

if TYPE_CHECKING:
    from loadtests.profiles import Plan

CHECKOUT = Path(__file__).resolve().parent.parent
LOCUSTFILE = CHECKOUT / "loadtests" / "locustfile.py"
STOP_TIMEOUT_S = 10  # how long users may finish their request once the run ends
GRACE_S = 60  # start-up, stopping and writing the report, beyond the time limit
CSV_PREFIX = "locust"
REPORT_NAME = "report.html"
LOG_NAME = "locust.log"
_DURATION = re.compile(r"(\d+)([smh])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


class LoadTestError(CrowdsourceError):
    """A load test that cannot start, or that did not finish."""

    code = "loadtest"


def parse_run_time(text: str) -> int:
    """'90', '90s', '5m', '1h' or '1h30m' as seconds; raises LoadTestError for anything else,
    including zero (a run needs a time bound)."""
    compact = text.strip().lower().replace(" ", "")
    if compact.isdigit():
        seconds = int(compact)
    else:
        parts = _DURATION.findall(compact)
        if not parts or "".join(n + u for n, u in parts) != compact:
            raise LoadTestError(f"--run-time {text!r} is not a duration like 90s, 5m or 1h")
        seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise LoadTestError("--run-time must be above zero: a load test needs a time bound")
    return seconds


def parse_max_requests(text: str | None) -> int:
    """--max-requests as a whole number ≥ 1 (0 when not given); raises LoadTestError."""
    if text is None:
        return 0
    if not text.strip().isdigit() or int(text) < 1:
        raise LoadTestError(f"--max-requests must be a whole number ≥ 1, not {text!r}")
    return int(text)


def parse_scale(text: str) -> float:
    """The --scale factor as a positive number; raises LoadTestError."""
    try:
        scale = float(text)
    except ValueError:
        raise LoadTestError(f"--scale {text!r} is not a number (e.g. 0.01)") from None
    if not 0 < scale < float("inf"):
        raise LoadTestError(f"--scale must be a positive number, not {text}")
    return scale


def check_host(
    url: str, *, allow_remote: bool, option: str = "--host", allow_path: bool = False
) -> str:
    """`url` without a trailing slash when it may be load-tested: loopback always, any other
    host only with `allow_remote`. A path only with `allow_path` (a CDN or bucket base may
    have one; the app's API lives at the root). Raises LoadTestError naming the problem."""
    try:
        parts = urlsplit(url.strip())
        hostname, port = parts.hostname, parts.port  # .port raises on a bad port
    except ValueError:
        raise LoadTestError(f"{option} {url!r} is not a URL like http://127.0.0.1:8080") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise LoadTestError(f"{option} {url!r} is not a URL like http://127.0.0.1:8080")
    if parts.query or parts.fragment or parts.username:
        raise LoadTestError(f"{option} {url!r} must not carry a query, fragment or user")
    path = parts.path.rstrip("/")
    if path and not allow_path:
        raise LoadTestError(f"{option} {url!r} must be scheme, host and port only")
    if not allow_remote and not is_loopback(hostname):
        raise LoadTestError(
            f"{option} {hostname} is not this machine: name it on purpose with --allow-remote"
        )
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port else "") + path


def is_loopback(hostname: str) -> bool:
    """True for localhost and any loopback address (127.0.0.0/8, ::1)."""
    if hostname.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def make_plan(
    profile_name: str, scale: float, think_time: str, weights: str, max_requests: int = 0
) -> Plan:
    """The plan of the run; raises LoadTestError for a bad profile, think time or weights."""
    profiles = _profiles_module()
    try:
        profile = profiles.get_profile(profile_name)
        if think_time:
            profiles.parse_think_time(think_time)
        profiles.parse_weights(weights, profile.weights)
        plan = profile.scaled(scale)
        return plan.with_request_budget(max_requests) if max_requests else plan
    except profiles.ProfileError as exc:
        raise LoadTestError(str(exc)) from None


def time_limit(plan: Plan, run_time: str | None) -> int:
    """The run's time bound in seconds: --run-time, else the profile's; raises LoadTestError
    when there is none."""
    profiles = _profiles_module()
    seconds = parse_run_time(run_time) if run_time is not None else None
    try:
        return int(profiles.check_time_bound(seconds, plan.profile))
    except profiles.ProfileError as exc:
        raise LoadTestError(str(exc)) from None


def locust_command(
    *,
    host: str,
    profile: str,
    scale: float,
    run_time_s: int,
    out: Path,
    max_requests: int = 0,
    think_time: str = "",
    weights: str = "",
    dashboard_base: str = "",
) -> list[str]:
    """The Locust command line of a headless run writing its CSV and HTML report to `out`."""
    command = [
        sys.executable, "-m", "locust",
        "-f", str(LOCUSTFILE),
        "--headless",
        "--host", host,
        "--load-profile", profile,
        "--scale", repr(scale),
        "--run-time", f"{run_time_s}s",
        "--stop-timeout", str(STOP_TIMEOUT_S),
        "--csv", str(out / CSV_PREFIX),
        "--html", str(out / REPORT_NAME),
        "--only-summary",
        "--exit-code-on-error", "1",
    ]  # fmt: skip
    if max_requests:
        command += ["--max-requests", str(max_requests)]
    if think_time:
        command += ["--think-time", think_time]
    if weights:
        command += ["--weights", weights]
    if dashboard_base:
        command += ["--dashboard-base", dashboard_base]
    return command


def check_answers(host: str) -> None:
    """Raise LoadTestError unless `host` answers /healthz: a run against nothing would only
    measure connection errors."""
    try:
        with urllib.request.urlopen(f"{host}/healthz", timeout=10) as response:
            if response.status == 200:
                return
    except urllib.error.HTTPError as exc:
        raise LoadTestError(f"{host}/healthz answered {exc.code}: is the app up?") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise LoadTestError(f"nothing answers at {host} ({reason})") from None


def run_locust(command: list[str], log_path: Path, deadline_s: float, echo: bool) -> int:
    """Run Locust, its output into `log_path` (and the terminal when `echo`); stop it if it
    outlives `deadline_s` (raising LoadTestError). Returns its exit status."""
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=CHECKOUT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        # Copied by a thread: Locust may print nothing for minutes (--only-summary), and the
        # deadline must hold even then.
        copier = threading.Thread(target=_copy_output, args=(process, log, echo), daemon=True)
        copier.start()
        try:
            process.wait(timeout=deadline_s)
        except KeyboardInterrupt:
            # Ctrl+C reached Locust too (same process group): it stops and writes its report.
            _stop(process, grace_s=30, terminate=False)
        except subprocess.TimeoutExpired:
            _stop(process, grace_s=15, terminate=True)
            raise LoadTestError(
                f"Locust did not stop within {deadline_s:.0f} s; stopped it"
            ) from None
        finally:
            copier.join(timeout=5)
    return process.returncode


def _copy_output(process: subprocess.Popen[str], log: TextIO, echo: bool) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        log.write(line)
        if echo:
            click.echo(line, nl=False)


def _stop(process: subprocess.Popen[str], *, grace_s: float, terminate: bool) -> None:
    """Give `process` `grace_s` to end (after SIGTERM when `terminate`), then kill it."""
    if terminate:
        process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _profiles_module() -> ModuleType:
    """loadtests.profiles from the checkout (the folder is not part of the installed package)."""
    if not LOCUSTFILE.is_file():
        raise LoadTestError("the load tests need a checkout of the repository (loadtests/)")
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    import loadtests.profiles as profiles

    return profiles


@click.command()
@click.option(
    "--profile", "profile_name", default="load", show_default=True, help="load or scalability."
)
@click.option("--host", required=True, help="Base URL of the app, e.g. http://127.0.0.1:8080.")
@click.option(
    "--scale", default="1", show_default=True, help="Multiply users and requests (0.005 for CI)."
)
@click.option("--run-time", help="Time bound, e.g. 90s or 15m (default: the profile's).")
@click.option("--max-requests", help="Count bound: stop after N requests (default: the profile's).")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for CSV, HTML and log.")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a host that is not loopback (127.0.0.1, localhost, ::1). Without it only "
    "this machine can be load-tested: name a deployed URL on purpose.",
)
@click.option("--think-time", default="", help="Pause between requests, 'MIN,MAX' seconds.")
@click.option("--weights", default="", help="Journey mix, e.g. speaker=2,validator=2,dashboard=1.")
@click.option("--dashboard-base", default="", help="Read the dashboard JSON here (the CDN URL).")
@click.option("-v", "--verbose", is_flag=True, help="Show Locust's output as it runs.")
@click.pass_context
def loadtest(
    ctx: click.Context,
    profile_name: str,
    host: str,
    scale: str,
    run_time: str | None,
    max_requests: str | None,
    out: Path | None,
    allow_remote: bool,
    think_time: str,
    weights: str,
    dashboard_base: str,
    verbose: bool,
) -> None:
    """Run a load test profile with Locust (headless) and summarise it per endpoint.

    Writes Locust's CSV files and HTML report (with charts) into --out and exits non-zero
    if any request failed. Only loopback hosts unless --allow-remote; never without a time
    bound. See docs/loadtests.md.
    """
    factor = parse_scale(scale)
    budget = parse_max_requests(max_requests)
    plan = make_plan(profile_name, factor, think_time, weights, budget)
    limit = time_limit(plan, run_time)
    target = check_host(host, allow_remote=allow_remote)
    cdn = dashboard_base and check_host(
        dashboard_base, allow_remote=allow_remote, option="--dashboard-base", allow_path=True
    )
    if importlib.util.find_spec("locust") is None:
        raise LoadTestError("Locust is not installed: pip install 'crowdsource-platform[load]'")
    check_answers(target)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = out or Path("loadtest-results") / f"{plan.profile.name}-{stamp}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LoadTestError(f"cannot write the results to {folder}: {exc.strerror}") from None

    click.echo(f"{plan.profile.name} profile × {factor:g} against {target}: {plan.describe()}")
    click.echo(f"time limit {limit} s; results in {folder}/")
    command = locust_command(
        host=target, profile=plan.profile.name, scale=factor, run_time_s=limit, out=folder,
        max_requests=budget, think_time=think_time, weights=weights, dashboard_base=cdn,
    )  # fmt: skip
    status = run_locust(command, folder / LOG_NAME, limit + STOP_TIMEOUT_S + GRACE_S, verbose)
    stats_path = folder / f"{CSV_PREFIX}_stats.csv"
    if not stats_path.is_file():
        raise LoadTestError(f"Locust stopped ({status}) without results; see {folder / LOG_NAME}")
    rows = read_stats(stats_path)
    summary = format_summary(rows)
    (folder / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    click.echo(summary)
    click.echo(f"report: {folder / REPORT_NAME}")
    if plan.profile.name == "scalability":
        click.echo("the HPA removes pods 5 minutes after the load ends: keep watching the HPA")
    _exit_on_failures(ctx, rows, status, folder)


def _exit_on_failures(
    ctx: click.Context, rows: list[EndpointStats], status: int, folder: Path
) -> None:
    """Exit 1 when any request failed, none was made, or Locust itself failed."""
    total = next((row for row in rows if row.name == "Aggregated"), None)
    if total is None or total.requests == 0:
        click.echo("crowdsource: error: the run made no requests", err=True)
        ctx.exit(1)
    elif total.failures:
        click.echo(
            f"crowdsource: error: {total.failures} of {total.requests} requests failed "
            f"(see {folder / (CSV_PREFIX + '_failures.csv')})",
            err=True,
        )
        ctx.exit(1)
    elif status != 0:
        click.echo(f"crowdsource: error: Locust exited with {status}; see {LOG_NAME}", err=True)
        ctx.exit(1)
