"""`crowdsource bench`: the local benchmark of the four hot endpoints.

Starts an embedded PostgreSQL in a scratch folder, fills it with the data generator, starts the
app under gunicorn exactly as the container does, warms up, then drives each endpoint at a fixed
concurrency with wrk (a C load generator; Debian package `wrk`) and reports requests per second,
latency percentiles, errors, and the CPU the app and PostgreSQL used. Everything runs on
127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
import psycopg
import requests

from app.db import resolve_database_url
from app.db.migrations import Migrator
from app.settings import Settings, load_settings
from ops.bench_fixture import BenchError, Fixture, make_fixture
from ops.bench_load import CpuMeter, Result, run_wrk, wrk_script
from ops.generate import generate_history, parse_mix

ENDPOINTS = ("sentences", "store", "clips", "vote")
BENCH_SECRET = "crowdsource-bench-secret-key-not-for-production"
# People the benchmark makes through the API (ops/bench_fixture.py): speakers record,
# validators vote. Their pairs (person × sentence, person × recording) are each used once, so
# every write is a new one; there are enough of them for this many writes per second over the
# whole run.
MAX_WRITES_PER_SECOND = 4000
# The rows each endpoint writes: the run's new ones must match its successful requests (a vote
# must also count: one kept but not counted took another path than the one measured).
WRITES = {"store": "contributions", "vote": "validations WHERE counted"}
# The app's settings the benchmark takes from its own environment (the rest it sets itself).
TUNING = ("WEB_CONCURRENCY", "THREADS", "DB_POOL_MIN", "DB_POOL_MAX")


class BenchCommand(click.Command):
    """Reports a bad option as one line (`crowdsource: error: ...`) instead of click's usage
    block: the benchmark is often run from scripts whose logs keep only the last lines."""

    def make_context(self, *args, **kwargs):  # type: ignore[no-untyped-def,unused-ignore]
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise BenchError(exc.format_message()) from None


@click.command(cls=BenchCommand)
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    type=click.Choice(ENDPOINTS),
    help="Measure only this endpoint (repeatable; default: all four).",
)
@click.option("--duration", default=20, show_default=True, type=click.IntRange(1, 600),
              help="Seconds each endpoint is driven.")  # fmt: skip
@click.option("--warmup", default=3, show_default=True, type=click.IntRange(0, 60),
              help="Seconds of unmeasured load first.")  # fmt: skip
@click.option("--connections", default=32, show_default=True, type=click.IntRange(1, 1000),
              help="Connections wrk keeps open (requests in flight).")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 64),
              help="gunicorn workers [default: the app's: WEB_CONCURRENCY, else 4].")  # fmt: skip
@click.option("--threads", type=click.IntRange(1, 64),
              help="Threads per worker [default: the app's: THREADS, else 4].")  # fmt: skip
@click.option("--contributions", default=2000, show_default=True, type=click.IntRange(1),
              help="Recordings the generator makes (spread over the languages).")  # fmt: skip
@click.option("--sentences-per-language", default=5000, show_default=True,
              type=click.IntRange(1))  # fmt: skip
@click.option("--languages", "mix", default="hi:1,en:1", show_default=True,
              help="Languages of the generated history (code:weight,…).")  # fmt: skip
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the database here (reused when it already holds the history); "
    "default: a scratch folder removed at the end.",
)
@click.option("--json-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the results as JSON.")  # fmt: skip
@click.option(
    "--log-level",
    type=click.Choice(["INFO", "WARNING"]),
    default="INFO",
    show_default=True,
    help="The app's LOG_LEVEL: the shipped INFO (a log line per request), or WARNING.",
)
def bench(
    endpoints: tuple[str, ...],
    duration: int,
    warmup: int,
    connections: int,
    workers: int | None,
    threads: int | None,
    contributions: int,
    sentences_per_language: int,
    mix: str,
    data_dir: Path | None,
    json_out: Path | None,
    log_level: str,
) -> None:
    """Benchmark the hot endpoints on this machine (app, PostgreSQL and wrk share it).

    The output ends with one line per endpoint: ENDPOINT REQ_PER_S P50_MS P99_MS ERRORS.
    """
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    try:
        parse_mix(mix)  # a malformed mix stops here, before anything starts
    except click.UsageError as exc:
        raise BenchError(exc.format_message()) from None
    chosen = [e for e in ENDPOINTS if not endpoints or e in endpoints]
    # By default the app runs as deployed: the worker model and pool of its own settings.
    deployed = load_settings({k: v for k, v in os.environ.items() if k in TUNING})
    workers = workers or deployed.workers
    threads = threads or deployed.threads
    pool = max(deployed.db_pool_max, threads)  # a thread never waits for a connection
    writes = MAX_WRITES_PER_SECOND * (duration + warmup)
    with ExitStack() as stack:
        folder = stack.enter_context(_scratch(data_dir))
        url = stack.enter_context(_database(folder, contributions, sentences_per_language, mix))
        base, app_pid = stack.enter_context(
            _gunicorn(folder, url, workers, threads, pool, log_level)
        )
        fixture = make_fixture(base, url, sentences_per_language, writes, BENCH_SECRET)
        meter = CpuMeter(app_pid, folder / "pgdata")
        results = [
            _drive(name, base, url, fixture, folder, connections, duration, warmup, meter)
            for name in chosen
        ]
    _report(results, workers, threads, connections, duration, contributions, json_out)


def _drive(
    name: str,
    base: str,
    url: str,
    fixture: Fixture,
    folder: Path,
    connections: int,
    duration: int,
    warmup: int,
    meter: CpuMeter,
) -> Result:
    """Warm-up, then the measured run of one endpoint. For a write endpoint, a request that
    succeeded without adding its row (a replay answered 200) counts as an error too."""
    script = wrk_script(name, fixture, folder)
    start = 0
    if warmup:
        start = run_wrk(base, script, connections, warmup).used
    before = _rows(url, name)
    result = run_wrk(base, script, connections, duration, start=start, meter=meter)
    if name in WRITES:
        time.sleep(0.5)  # requests wrk gave up on at the end may still be committing
        not_new = result.requests - result.errors - (_rows(url, name) - before)
        result.errors += max(0, not_new)
    result.name = name
    return result


def _rows(url: str, endpoint: str) -> int:
    """Rows in the table `endpoint` writes to (0 for a read endpoint)."""
    if endpoint not in WRITES:
        return 0
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {WRITES[endpoint]}").fetchone()
    return int(row[0]) if row else 0


@contextmanager
def _scratch(data_dir: Path | None) -> Iterator[Path]:
    """The folder for the database, media and scripts: `data_dir` (kept), or a temporary one
    removed at the end."""
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        yield data_dir
        return
    folder = Path(tempfile.mkdtemp(prefix="crowdsource-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _database(folder: Path, contributions: int, sentences: int, mix: str) -> Iterator[str]:
    """Starts the embedded server in `folder`, migrates, generates the history once, and stops
    the server at the end (before its folder is removed, which would leave it running)."""
    settings = load_settings({"DATA_DIR": str(folder), "SECRET_KEY": BENCH_SECRET})
    url = resolve_database_url(settings)
    try:
        Migrator(url, report=lambda _line: None).up()
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM contributions").fetchone()
        if row and row[0]:
            click.echo(f"reusing the database in {folder} ({row[0]:,} recordings)")
        else:
            click.echo(generate_history(url, _history_options(settings, contributions,
                                                              sentences, mix)))  # fmt: skip
        yield url
    finally:
        _stop_embedded(settings.pgdata_dir)


def _history_options(settings: Settings, contributions: int, sentences: int, mix: str) -> dict:
    """`crowdsource generate`'s options for the benchmark's history (seed 1: reproducible)."""
    return {
        "contributors": max(50, contributions // 20),
        "contributions": contributions,
        "days": 90,
        "languages": parse_mix(mix),
        "sentences_per_language": sentences,
        "seed": 1,
        "batch_size": 250_000,
        "append": False,
        "vacuum": True,
        "votes_to_decide": settings.votes_to_decide,
        "now": datetime.now(UTC),
    }


def _stop_embedded(pgdata: Path) -> None:
    """Stops the embedded server in `pgdata` unless another process still holds it."""
    import pgserver

    pgserver.get_server(pgdata).cleanup()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _gunicorn(
    folder: Path, url: str, workers: int, threads: int, pool: int, log_level: str = "WARNING"
) -> Iterator[tuple[str, int]]:
    """The app as the container runs it: `gunicorn --config python:app.gunicorn_conf`."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": BENCH_SECRET,
        "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(folder / "media"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "THREADS": str(threads),
        "DB_POOL_MAX": str(pool),
        "LOG_LEVEL": log_level,
        # The abuse limits would answer most of one client's burst with 429: the benchmark
        # measures the endpoints, not the limiter.
        "RATE_LIMITS": "off",
        # The workers' metrics files: inside the scratch folder, so they go with it.
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
    }
    log = (folder / "gunicorn.log").open("wb")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(
        [gunicorn, "--config", "python:app.gunicorn_conf", "app.wsgi:app"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise BenchError(f"gunicorn exited (see {folder / 'gunicorn.log'})")
            try:
                if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise BenchError("the app did not become ready within 60 s")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _report(
    results: list[Result],
    workers: int,
    threads: int,
    connections: int,
    duration: int,
    contributions: int,
    json_out: Path | None,
) -> None:
    cores = os.cpu_count() or 1
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    click.echo(
        f"\n{cores} cores (load average {load}); gunicorn gthread {workers} workers × "
        f"{threads} threads; wrk {connections} connections × {duration} s per endpoint; "
        f"{contributions:,} generated recordings"
    )
    click.echo(f"{'endpoint':<10} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
               f"{'errors':>7} {'app CPU':>8} {'pg CPU':>7} "
               f"{'app ms/req':>10} {'pg ms/req':>9}")  # fmt: skip
    for r in results:
        click.echo(
            f"{r.name:<10} {r.rps:>8.0f} {r.p50_ms:>8.1f} {r.p90_ms:>8.1f} {r.p99_ms:>8.1f} "
            f"{r.errors:>7} {r.app_cores:>7.2f}c {r.pg_cores:>6.2f}c "
            f"{r.app_ms_per_request:>10.2f} {r.pg_ms_per_request:>9.2f}"
        )
    if json_out is not None:
        rows = [
            r.__dict__
            | {"app_ms_per_request": r.app_ms_per_request, "pg_ms_per_request": r.pg_ms_per_request}
            for r in results
        ]
        json_out.write_text(json.dumps(rows, indent=2) + "\n")
    click.echo("")
    for r in results:
        click.echo(f"{r.name.upper()} {r.rps:.0f} {r.p50_ms:.1f} {r.p99_ms:.1f} {r.errors}")
