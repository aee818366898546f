"""Fixtures for the storage contract: every test runs against a local folder, a real S3 API
(moto_server) and a real GCS API (gcp-storage-emulator), both started once per session on
loopback. Each test gets its own fresh bucket or folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from app.storage import Storage
from app.storage.gcs import EMULATOR_PROJECT, GCSStorage
from app.storage.local import LocalStorage
from app.storage.s3 import S3Storage
from tests.live_server import free_port

BIN = Path(sys.executable).parent
START_DEADLINE_SECONDS = 30.0
STOP_DEADLINE_SECONDS = 10.0


def new_bucket_name() -> str:
    """A valid, unique S3/GCS bucket name."""
    return f"test-{uuid.uuid4().hex[:20]}"


def _serve(name: str, command: list[str], url: str, log_path: Path) -> Iterator[str]:
    """Start `command`, wait until `url` answers HTTP, yield it, then stop the process."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"{name} exited with code {process.returncode}:\n{_tail(log_path)}")
            try:
                requests.get(url, timeout=1)
                break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{name} did not answer on {url} within {START_DEADLINE_SECONDS:.0f} s:\n"
                    f"{_tail(log_path)}"
                )
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(log_path: Path) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a moto S3 server on loopback, for the whole session."""
    port = free_port()
    command = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    yield from _serve("moto_server", command, f"http://127.0.0.1:{port}", log)


@pytest.fixture(scope="session")
def gcs_emulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of an in-memory GCS emulator on loopback, for the whole session."""
    port = free_port()
    command = [
        str(BIN / "gcp-storage-emulator"),
        "start",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--in-memory",
    ]  # fmt: skip
    log = tmp_path_factory.mktemp("gcs") / "gcs-emulator.log"
    yield from _serve("gcp-storage-emulator", command, f"http://127.0.0.1:{port}", log)


class LocalBackend:
    """Folders under the test's tmp_path."""

    name = "local"

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def fresh(self) -> LocalStorage:
        # Two levels deep, so a key that climbs out ("../x", "a/../../b") would still land
        # inside tmp_path where the test can see it.
        return LocalStorage(self.tmp_path / "outer" / uuid.uuid4().hex)

    def missing_bucket(self) -> LocalStorage:
        blocker = self.tmp_path / "a-file"
        blocker.write_bytes(b"not a folder")
        return LocalStorage(blocker / "storage")

    def unreachable(self) -> LocalStorage | None:
        return None

    def everything_stored(self, storage: Storage) -> set[str]:
        """Every file under tmp_path (not only under the root), as relative paths."""
        return {p.relative_to(self.tmp_path).as_posix() for p in self.tmp_path.rglob("*")}


class S3Backend:
    """Buckets on the session's moto server."""

    name = "s3"

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.admin: Any = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")

    def fresh(self) -> S3Storage:
        bucket = new_bucket_name()
        self.admin.create_bucket(Bucket=bucket)
        return S3Storage(bucket, endpoint_url=self.endpoint, region="us-east-1")

    def missing_bucket(self) -> S3Storage:
        return S3Storage(new_bucket_name(), endpoint_url=self.endpoint, region="us-east-1")

    def unreachable(self) -> S3Storage | None:
        dead = f"http://127.0.0.1:{free_port()}"
        return S3Storage(new_bucket_name(), endpoint_url=dead, region="us-east-1")

    def everything_stored(self, storage: Storage) -> set[str]:
        """Every object in the bucket, read with boto3 directly (no key filtering)."""
        assert isinstance(storage, S3Storage)
        pages = self.admin.get_paginator("list_objects_v2").paginate(Bucket=storage.bucket)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}


class GCSBackend:
    """Buckets on the session's GCS emulator (STORAGE_EMULATOR_HOST is set per test)."""

    name = "gcs"

    def __init__(self, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.endpoint = endpoint
        self.monkeypatch = monkeypatch
        self.admin = gcs.Client(project=EMULATOR_PROJECT, credentials=AnonymousCredentials())

    def fresh(self) -> GCSStorage:
        bucket = new_bucket_name()
        self.admin.create_bucket(bucket)
        return GCSStorage(bucket)

    def missing_bucket(self) -> GCSStorage:
        return GCSStorage(new_bucket_name())

    def unreachable(self) -> GCSStorage | None:
        with self.monkeypatch.context() as patch:
            patch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{free_port()}")
            return GCSStorage(new_bucket_name())

    def everything_stored(self, storage: Storage) -> set[str]:
        """Every object in the bucket, read with the GCS client directly."""
        assert isinstance(storage, GCSStorage)
        return {blob.name for blob in self.admin.list_blobs(storage.bucket)}


Backend = LocalBackend | S3Backend | GCSBackend


@pytest.fixture
def local_backend(tmp_path: Path) -> LocalBackend:
    """Local folders under this test's tmp_path."""
    return LocalBackend(tmp_path)


@pytest.fixture
def s3_backend(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> S3Backend:
    """Buckets on the session's moto server, with throwaway credentials for this test."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(variable, raising=False)
    return S3Backend(moto_url)


@pytest.fixture
def gcs_backend(gcs_emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> GCSBackend:
    """Buckets on the session's GCS emulator, which STORAGE_EMULATOR_HOST points at."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator_url)
    return GCSBackend(gcs_emulator_url, monkeypatch)


@pytest.fixture(params=["local", "s3", "gcs"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend kind in turn; an emulator starts only when a test of its kind first runs."""
    chosen: Backend = request.getfixturevalue(f"{request.param}_backend")
    return chosen


@pytest.fixture
def storage(backend: Backend) -> Storage:
    """A usable, empty storage of the current backend kind."""
    return backend.fresh()
