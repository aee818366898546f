"""Fault injection: the S3 server (moto_server) hangs under a live gunicorn in the middle of a
stream of uploads, then comes back. Every upload answered 201 is in the database and in the
bucket; every other answer is a clear 503 with Retry-After within a bounded time; /readyz goes
red and green again; the app serves again without a restart.

The server is frozen (SIGSTOP) rather than killed: moto keeps its objects in memory, so a
restarted moto would have lost the objects stored before the outage, which says nothing about
our app. A hung endpoint is also the harder case for the app: connections open but no answer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import psycopg
import pytest
import requests

from app.errors import StorageUnavailable
from app.storage.gcs import EMULATOR_PROJECT, GCSStorage
from app.storage.s3 import S3Storage
from tests.live.conftest import live_app_in
from tests.live.traffic import assert_201_or_quick_503, uploads_running, wait_for_readiness
from tests.live_server import LiveApp, free_port
from tests.storage.conftest import BIN

BUCKET = "outage-recordings"
# The documented promise: a hung endpoint costs a request at most STORAGE_TIMEOUT + 2 s (one
# attempt: connect, the wait for "100 Continue", the read timeout). Every answer, 201 or 503,
# is measured by the client, so it includes the audio check too.
STORAGE_TIMEOUT = 3
ANSWER_WITHIN_SECONDS = STORAGE_TIMEOUT + 2
READY_WITHIN_SECONDS = 15
FROZEN_SECONDS = 8
UPLOADERS = 3
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    log = (tmp_path / "moto.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_listening(url, process)
        s3(url).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={
            "LocationConstraint": "ap-south-1"})  # fmt: skip
        yield url, process
    finally:
        os.kill(process.pid, signal.SIGCONT)  # a frozen process cannot act on SIGTERM
        process.terminate()
        process.wait(timeout=10)
        log.close()


def s3(endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client("s3", endpoint_url=endpoint, region_name="ap-south-1",
                        **{k.lower(): v for k, v in CREDENTIALS.items()})  # fmt: skip


@pytest.fixture
def gcs_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A GCS emulator of this test's own (the session's shared one must not be frozen)."""
    port = free_port()
    log = (tmp_path / "gcs.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "gcp-storage-emulator"), "start", "--host", "127.0.0.1",
         "--port", str(port), "--in-memory"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", url)
    try:
        _wait_listening(url, process)
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage as gcs

        gcs.Client(project=EMULATOR_PROJECT, credentials=AnonymousCredentials()).create_bucket(
            BUCKET
        )
        yield url, process
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _wait_listening(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            assert time.monotonic() < deadline and process.poll() is None, f"{url} did not start"
            time.sleep(0.1)


@pytest.mark.parametrize("backend", ["s3", "gcs"])
def test_a_hung_endpoint_costs_a_call_at_most_the_storage_timeout_plus_2_s(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STORAGE_TIMEOUT bounds the whole call, retries included (it took 27 s on S3 and 30 s
    on GCS at STORAGE_TIMEOUT=8 before). A 1 MB body: S3 also waits for '100 Continue'."""
    timeout_s = 3
    body = b"x" * 1_000_000
    storage: S3Storage | GCSStorage
    if backend == "s3":
        endpoint, server = request.getfixturevalue("moto")
        for name, value in CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        storage = S3Storage(BUCKET, endpoint, "ap-south-1", timeout_s=timeout_s)
    else:
        endpoint, server = request.getfixturevalue("gcs_emulator")
        storage = GCSStorage(BUCKET, project=EMULATOR_PROJECT, timeout_s=timeout_s)
    storage.put("recordings/before.wav", body)  # a working client, connections open
    os.kill(server.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            storage.put("recordings/during.wav", body)
        took = time.monotonic() - started
    finally:
        os.kill(server.pid, signal.SIGCONT)
    assert timeout_s <= took < timeout_s + 2, took
    storage.put("recordings/after.wav", body)  # and it works again once the endpoint thaws


@pytest.fixture
def app_on_moto(moto, live_database_url: str, tmp_path: Path) -> Iterator[LiveApp]:
    url, _ = moto
    settings = {
        "STORAGE_BACKEND": "s3", "BUCKET_NAME": BUCKET, "S3_ENDPOINT_URL": url,
        "AWS_REGION": "ap-south-1", "STORAGE_TIMEOUT": str(STORAGE_TIMEOUT), **CREDENTIALS,
    }  # fmt: skip
    with live_app_in(tmp_path / "live", live_database_url, **settings) as app:
        yield app


def test_uploads_while_storage_hangs_are_kept_or_refused_with_503_and_service_resumes(
    app_on_moto: LiveApp, moto, live_database_url: str
) -> None:
    url = app_on_moto.url
    endpoint, server = moto
    try:
        with uploads_running(url, UPLOADERS, live_database_url) as answers:
            time.sleep(1.5)
            os.kill(server.pid, signal.SIGSTOP)
            wait_for_readiness(url, 503, within=READY_WITHIN_SECONDS)
            time.sleep(FROZEN_SECONDS)
            os.kill(server.pid, signal.SIGCONT)
            wait_for_readiness(url, 200, within=READY_WITHIN_SECONDS)
            after_recovery = len(answers)
            time.sleep(2)
    finally:
        os.kill(server.pid, signal.SIGCONT)

    statuses = assert_201_or_quick_503(
        answers, within=ANSWER_WITHIN_SECONDS, codes=("storage_unavailable", "storage_error")
    )
    assert 503 in statuses[: after_recovery + UPLOADERS], "no upload met the outage"
    assert 201 in statuses[after_recovery:], "the app did not serve again"

    saved = {a.body["recording"]["id"] for a in answers if a.status == 201}
    with psycopg.connect(live_database_url) as conn:
        rows = dict(conn.execute("SELECT public_id::text, media_key FROM contributions").fetchall())
    listing = s3(endpoint).list_objects_v2(Bucket=BUCKET, Prefix="recordings/")
    objects = {o["Key"] for o in listing.get("Contents", [])}
    assert saved <= set(rows), "a recording answered 201 is missing from the database"
    assert set(rows.values()) <= objects, "a recording in the database has no object"
    # An object whose write the hung server finished after the app gave up has no row: the
    # volunteer was told it failed, and `crowdsource sweep` removes it after the grace period.
