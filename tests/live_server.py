"""Real servers for the tests that need the whole stack, each a subprocess on 127.0.0.1 that is
stopped (and killed if it lingers) however the test ends:

- `serve`: `crowdsource serve` (gunicorn) as an operator starts it;
- `StoppablePostgres`: a PostgreSQL of the test's own that it can stop and start again;

and what a client of them does before it may write: `new_session` (a visitor with the session
a page view gives) and `listen` (clips handed out by the validate queue and heard, before a
vote).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import requests

from app.settings import Settings
from tests.conftest import CLI, KEEP_ENV

# The share of a clip's duration that must pass between its serving and a vote on it.
LISTEN_PERCENT = Settings.listen_percent

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: Any, deadline: float = 60) -> requests.Response:
    """Poll `url` until it answers 200; fail early if `process` exits. When it gives up, the
    message says what the last poll met and where each process of the server waits (py-spy's
    stacks, Python and native): a server that never answers is a bug to find, not a flake."""
    end = time.monotonic() + deadline
    last = "nothing yet"
    while time.monotonic() < end:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"serve exited early:\n{output}")
        try:
            response = requests.get(url, timeout=2)
            if response.status_code == 200:
                return response
            last = f"{response.status_code} {response.text[:300]}"
        except (requests.ConnectionError, requests.Timeout) as exc:
            # not listening yet, or listening before a worker can answer (a busy machine)
            last = type(exc).__name__
        time.sleep(0.25)
    raise AssertionError(
        f"{url} not ready within {deadline} s (last poll: {last})\n{process_stacks(process.pid)}"
    )


def process_stacks(pid: int) -> str:
    """Where `pid` and its children wait: each one's kernel wait channel, thread count and
    py-spy dump (for a failure message; "" parts where py-spy is missing or refused)."""
    spy = BIN / "py-spy"
    parts = []
    for each in [pid, *_children(pid)]:
        proc = Path(f"/proc/{each}")
        with contextlib.suppress(OSError):
            wchan = (proc / "wchan").read_text()
            threads = len(list((proc / "task").iterdir()))
            parts.append(f"--- pid {each}: {threads} thread(s), waiting in {wchan or '-'}")
        if spy.exists():
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                dump = subprocess.run(
                    [str(spy), "dump", "--native", "--pid", str(each)],
                    capture_output=True, text=True, timeout=30,
                )  # fmt: skip
                parts.append(dump.stdout + dump.stderr)
    return "\n".join(parts)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def new_session(url: str) -> requests.Session:
    """A visitor with a session of their own (POST /api/v1/session, as a page's script asks
    when its page view did not bring one): what any write needs."""
    session = requests.Session()
    response = session.post(f"{url}/api/v1/session", timeout=30)
    assert response.status_code == 201, response.text
    return session


def listen(url: str, people: list[requests.Session], recording: str, language: str = "hi") -> None:
    """Each of `people` is handed `recording` by the validate queue (GET .../clips, as the
    validate page asks), then the time to hear it passes once for all of them: what a vote
    needs (else 422 not_listened). Bounded by the clip's length (a few seconds)."""

    def fetch(person: requests.Session) -> int:
        answer = person.get(f"{url}/api/v1/languages/{language}/clips?count=20", timeout=30)
        assert answer.status_code == 200, answer.text
        clips = {clip["id"]: clip for clip in answer.json()["clips"]}
        assert recording in clips, f"{recording} was not handed out: {list(clips)}"
        return int(clips[recording]["duration_ms"])

    with ThreadPoolExecutor(8) as pool:
        durations = list(pool.map(fetch, people))
    served = time.monotonic()
    # The server's clock decides; a small margin covers the request that recorded the serving.
    wait = max(durations, default=0) * LISTEN_PERCENT / 100_000 + 0.3
    time.sleep(max(0.0, served + wait - time.monotonic()))


def stop(process: Any) -> str:
    """Stop a process gracefully (SIGTERM), kill it after 30 s; return its output."""
    process.terminate()
    try:
        out, _ = process.communicate(timeout=30)
    except Exception:
        process.kill()
        out, _ = process.communicate()
    return out


def clean_env() -> dict[str, str]:
    """Only PATH-like basics: no setting leaks in from the shell that runs the tests."""
    env = {k: v for k, v in os.environ.items() if k in KEEP_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class LiveApp:
    """`crowdsource serve` running: its base URL, its process and the CLI that started it."""

    url: str
    cli: CLI
    process: subprocess.Popen[str]
    log_path: Path

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master that `serve` runs in)."""
        return _children(self.process.pid)


@contextlib.contextmanager
def serve(cli: CLI, *args: str, ready_within: float = 60, **env: str) -> Iterator[LiveApp]:
    """Start `crowdsource serve ARGS` on a free port with `env`, wait for /readyz, yield it;
    stop it (master and workers) on the way out, even when the test failed."""
    port = free_port()
    # Output goes to a file, not a pipe: nobody reads a pipe while the test runs, and once its
    # 64 KB buffer is full every worker blocks on its next log line (the server "hangs").
    log_path = cli.cwd / f"serve-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "crowdsource"), "serve", *args],
            env={**cli.env, **env, "PORT": str(port)}, cwd=cli.cwd,
            stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(f"{url}/readyz", process, ready_within)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log_path.read_text()[-3000:]}") from None
        yield LiveApp(url, cli, process, log_path)
    finally:
        workers = LiveApp(url, cli, process, log_path).worker_pids()
        stop(process)
        for pid in workers:  # a worker stuck past the graceful timeout
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class StoppablePostgres:
    """A PostgreSQL server in `pgdata` (pgserver's binaries, listening on a unix socket only)
    that a test can stop and start again while the app keeps running."""

    def __init__(self, pgdata: Path) -> None:
        import pgserver

        self.pgdata = pgdata
        # cleanup_mode=None: this object stops the server, not pgserver's atexit handler.
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        self._user = server.system_user
        self.admin_url = server.get_uri()
        self._socket_dir = psycopg.conninfo.conninfo_to_dict(self.admin_url)["host"]
        self.running = True

    def url(self, dbname: str) -> str:
        params = psycopg.conninfo.conninfo_to_dict(self.admin_url)
        params["dbname"] = dbname
        return psycopg.conninfo.make_conninfo("", **params)

    def stop(self) -> None:
        """Fast shutdown: sessions are ended, the socket disappears."""
        self._pg_ctl("-w", "-m", "fast", "stop")
        self.running = False

    def start(self) -> None:
        self._pg_ctl(
            "-w", "-o", '-h ""', "-o", f"-k {self._socket_dir}",
            "-l", str(self.pgdata / "log"), "start",
        )  # fmt: skip
        self.running = True

    def close(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop()

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.pgdata, user=self._user, timeout=30)
