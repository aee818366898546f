"""Real servers for the tests that need the whole stack, each a subprocess on 127.0.0.1 that is
stopped (and killed if it lingers) however the test ends:

- `serve`: `crowdsource serve` (gunicorn) as an operator starts it;
- `StoppablePostgres`: a PostgreSQL of the test's own that it can stop and start again;
- `StoppableMoto`: an S3 emulator on a fixed port that the test can stop and start again,
  coming back with the objects it held (as S3 or MinIO would after an outage).
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import requests

from tests.conftest import CLI

BIN = Path(sys.executable).parent
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR", "SYSTEMROOT")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: Any, deadline: float = 60) -> requests.Response:
    """Poll `url` until it answers 200; fail early if `process` exits."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"serve exited early:\n{output}")
        try:
            response = requests.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} not ready within {deadline} s")


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

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master that `serve` runs in)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError):
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid == self.process.pid:
                    pids.append(int(entry.name))
        return pids


@contextlib.contextmanager
def serve(cli: CLI, *args: str, ready_within: float = 60, **env: str) -> Iterator[LiveApp]:
    """Start `crowdsource serve ARGS` on a free port with `env`, wait for /readyz, yield it;
    stop it (master and workers) on the way out, even when the test failed."""
    port = free_port()
    process = cli.start("serve", *args, PORT=str(port), **env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/readyz", process, ready_within)
        yield LiveApp(url, cli, process)
    finally:
        app = LiveApp(url, cli, process)
        workers = app.worker_pids()
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


class StoppableMoto:
    """moto_server on a fixed loopback port. Every request is recorded (moto's recorder), and
    `start` after a `stop` replays the record, so the emulator comes back with its buckets and
    objects: the outage a test sees is the endpoint's, not a loss of data."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._record = workdir / "moto-record.jsonl"
        self._log = workdir / "moto.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, deadline: float = 30) -> None:
        env = clean_env() | {
            "MOTO_ENABLE_RECORDING": "1",
            "MOTO_RECORDER_FILEPATH": str(self._record),
        }
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        end = time.monotonic() + deadline
        while True:
            if self._process.poll() is not None:
                raise AssertionError(f"moto_server exited:\n{self._log.read_text()[-2000:]}")
            try:
                requests.get(f"{self.url}/moto-api/", timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > end:
                    raise AssertionError("moto_server did not answer in time") from None
                time.sleep(0.1)
        if self._record.exists() and self._record.stat().st_size:
            replay = requests.post(f"{self.url}/moto-api/recorder/replay-recording", timeout=60)
            replay.raise_for_status()

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip

    @property
    def app_env(self) -> dict[str, str]:
        """What the app needs to use this emulator (add BUCKET_NAME)."""
        return {
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
