"""RetryingStorage (app/storage/retrying.py): batch work rides out a transient storage failure,
and gives up at once on a lasting one. Against a local folder made to fail on purpose, and
against moto behind a loopback proxy that answers 503 SlowDown, as S3 does when throttling."""

from __future__ import annotations

import http.client
import io
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from app.errors import StorageUnavailable
from app.storage.local import LocalStorage
from app.storage.retrying import RetryingStorage
from app.storage.s3 import S3Storage
from tests.storage.conftest import S3Backend


class Flaky:
    """A local folder whose calls fail `failures[name]` times first (transient by default);
    a put reads part of its stream before failing, as a dropped connection does."""

    def __init__(self, root: Path, failures: dict[str, int], *, transient: bool = True) -> None:
        self.inner = LocalStorage(root)
        self.name = "local"
        self.failures = dict(failures)
        self.transient = transient
        self.calls: dict[str, int] = {}

    def _maybe_fail(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.failures.get(name, 0) > 0:
            self.failures[name] -= 1
            raise StorageUnavailable(f"{name}: a blip", transient=self.transient)

    def put(self, key: str, data: Any, **options: Any) -> None:
        if self.failures.get("put", 0) > 0 and not isinstance(data, bytes):
            data.read(3)
        self._maybe_fail("put")
        self.inner.put(key, data, **options)

    def get(self, key: str) -> bytes:
        self._maybe_fail("get")
        return self.inner.get(key)

    def exists(self, key: str) -> bool:
        self._maybe_fail("exists")
        return self.inner.exists(key)

    def check(self) -> None:
        self._maybe_fail("check")
        self.inner.check()

    def list(self, prefix: str = "") -> Iterator[str]:
        self.calls["list"] = self.calls.get("list", 0) + 1
        for n, key in enumerate(self.inner.list(prefix)):
            if n == 2 and self.failures.get("list", 0) > 0:
                self.failures["list"] -= 1
                raise StorageUnavailable("list: connection reset")
            yield key


def retrying(storage: Any) -> tuple[RetryingStorage, list[float]]:
    waits: list[float] = []
    return RetryingStorage(storage, sleep=waits.append), waits


def test_a_put_is_made_again_with_its_stream_rewound(tmp_path: Path) -> None:
    flaky = Flaky(tmp_path, {"put": 2})
    storage, waits = retrying(flaky)
    stream = io.BytesIO(b"0123456789")
    stream.seek(2)  # the caller's position is where the object starts

    storage.put("exports/hi/clips.tsv", stream, content_type="text/plain")

    assert flaky.inner.get("exports/hi/clips.tsv") == b"23456789"
    assert (flaky.calls["put"], waits) == (3, [1.0, 2.0])


def test_a_stream_that_cannot_be_rewound_gets_one_attempt(tmp_path: Path) -> None:
    class OneWay(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            return 0

    flaky = Flaky(tmp_path, {"put": 1})
    storage, waits = retrying(flaky)
    with pytest.raises(StorageUnavailable):
        storage.put("exports/hi/x.bin", OneWay())
    assert (flaky.calls["put"], waits) == (1, [])
    assert not flaky.inner.exists("exports/hi/x.bin")


def test_after_four_attempts_the_error_goes_up(tmp_path: Path) -> None:
    flaky = Flaky(tmp_path, {"get": 9})
    flaky.inner.put("public/a.json", b"{}")
    storage, waits = retrying(flaky)
    with pytest.raises(StorageUnavailable, match="a blip"):
        storage.get("public/a.json")
    assert (flaky.calls["get"], waits) == (4, [1.0, 2.0, 4.0])


def test_a_lasting_failure_goes_up_at_once(tmp_path: Path) -> None:
    flaky = Flaky(tmp_path, {"exists": 1, "check": 1}, transient=False)
    storage, waits = retrying(flaky)
    with pytest.raises(StorageUnavailable):
        storage.exists("public/a.json")
    with pytest.raises(StorageUnavailable):
        storage.check()
    assert (flaky.calls, waits) == ({"exists": 1, "check": 1}, [])


def test_a_listing_cut_short_goes_on_after_the_last_key(tmp_path: Path) -> None:
    flaky = Flaky(tmp_path, {"list": 2})
    keys = [f"recordings/hi/{n:02d}.webm" for n in range(6)]
    for key in keys:
        flaky.inner.put(key, b"x")
    storage, waits = retrying(flaky)

    assert list(storage.list("recordings/")) == keys  # each key once, in order
    assert (flaky.calls["list"], waits) == (3, [1.0, 2.0])


def test_a_missing_local_folder_is_a_lasting_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"not a folder")
    storage, waits = retrying(LocalStorage(blocker / "storage"))
    with pytest.raises(StorageUnavailable) as failed:
        storage.check()
    assert (failed.value.transient, waits) == (False, [])


# --- S3 throttling, for real: moto behind a proxy that answers 503 SlowDown ---------------


SLOW_DOWN = (
    b"<?xml version='1.0'?><Error><Code>SlowDown</Code>"
    b"<Message>Please reduce your request rate.</Message></Error>"
)


class ThrottlingProxy:
    """Forwards to `upstream`, but answers the first `throttle` requests with S3's 503."""

    def __init__(self, upstream: str, throttle: int) -> None:
        self.throttle = throttle
        self.throttled = 0
        self.forwarded = 0
        target = urlsplit(upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.throttled < proxy.throttle:
                    proxy.throttled += 1
                    answer = SLOW_DOWN
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(answer)
                    return
                proxy.forwarded += 1
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = target.netloc
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in {"transfer-encoding", "connection", "content-length"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def throttled_s3(s3_backend: S3Backend) -> Iterator[Callable[[int], tuple[S3Storage, Any]]]:
    proxies: list[ThrottlingProxy] = []

    def make(throttle: int) -> tuple[S3Storage, ThrottlingProxy]:
        bucket = s3_backend.fresh().bucket
        proxy = ThrottlingProxy(s3_backend.endpoint, throttle)
        proxies.append(proxy)
        return S3Storage(bucket, endpoint_url=proxy.url, region="us-east-1"), proxy

    yield make
    for proxy in proxies:
        proxy.close()


def test_s3_throttling_is_ridden_out_by_batch_work(
    throttled_s3: Callable[[int], tuple[S3Storage, ThrottlingProxy]], s3_backend: S3Backend
) -> None:
    s3, proxy = throttled_s3(2)
    with pytest.raises(StorageUnavailable) as once:  # the request path: one attempt
        s3.put("public/dashboard/a.json", b"{}")
    assert once.value.transient

    storage, waits = retrying(s3)
    storage.put("public/dashboard/a.json", b'{"ok": true}', content_type="application/json")

    assert s3_backend.everything_stored(s3) == {"public/dashboard/a.json"}
    assert (proxy.throttled, waits) == (2, [1.0])


def test_a_missing_s3_bucket_is_not_retried(s3_backend: S3Backend) -> None:
    storage, waits = retrying(s3_backend.missing_bucket())
    with pytest.raises(StorageUnavailable, match="does not exist") as failed:
        storage.check()
    assert (failed.value.transient, waits) == (False, [])
