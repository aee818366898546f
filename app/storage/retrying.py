"""Storage for batch work: each call tried again after a transient failure.

A volunteer's request makes one attempt (STORAGE_TIMEOUT bounds their wait; the page retries
the upload itself with the same idempotency key). A batch command — export, the dashboard
refresh, the orphan sweep, media ingest — has no one waiting on it, and one 503 from S3 or
GCS in a run of thousands of calls should not fail the whole run. So the ops commands wrap
their storage in RetryingStorage: a call that raises a transient StorageUnavailable (endpoint
down, timeout, throttling, 5xx) is made again after 1 s, 2 s and 4 s, then the error goes up.
A lasting one (missing bucket, access denied, no credentials) goes up at once.

Every call retried is idempotent: a put writes the whole object again (a stream is rewound
first; one that cannot be rewound gets one attempt), a delete of a missing object is not an
error, and a listing that fails part way is listed again from after the last key it yielded
(listings are in key order). Reading an opened object's chunks is not retried (the caller
would see bytes twice); opening it is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO, TypeVar

from app.errors import StorageUnavailable
from app.storage.base import ListedObject, Storage, StoredObject

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 4  # the first and three more, 1 + 2 + 4 s apart: a blip of up to ~7 s is ridden out
FIRST_WAIT_S = 1.0


class RetryingStorage:
    """`inner` with each call made up to `attempts` times on StorageUnavailable."""

    def __init__(
        self,
        inner: Storage,
        *,
        attempts: int = ATTEMPTS,
        first_wait_s: float = FIRST_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.inner = inner
        self.name = inner.name
        self._attempts = attempts
        self._first_wait = first_wait_s
        self._sleep = sleep

    def _call(
        self, what: str, call: Callable[[], T], *, rewind: Callable[[], None] | None = None
    ) -> T:
        attempt = 1
        while True:
            try:
                return call()
            except StorageUnavailable as exc:
                self._pause_or_raise(what, attempt, exc)
                attempt += 1
                if rewind is not None:
                    rewind()

    def _pause_or_raise(self, what: str, attempt: int, exc: StorageUnavailable) -> None:
        """After failed attempt number `attempt`: wait before the next one, or raise `exc`
        when it was the last or the failure is not transient."""
        if attempt >= self._attempts or not exc.transient:
            raise exc
        wait = self._first_wait * 2 ** (attempt - 1)
        log.warning(
            "storage %s failed (attempt %d of %d), again in %.0f s: %s",
            what, attempt, self._attempts, wait, exc,
        )  # fmt: skip
        self._sleep(wait)

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
    ) -> None:
        def put() -> None:
            self.inner.put(key, data, content_type=content_type, cache_control=cache_control)

        if isinstance(data, bytes | bytearray | memoryview):
            return self._call(f"put {key}", put)
        if not _seekable(data):
            return put()  # a stream that cannot be read again gets one attempt
        start = data.tell()
        stream = data

        def rewind() -> None:
            stream.seek(start)

        return self._call(f"put {key}", put, rewind=rewind)

    def get(self, key: str) -> bytes:
        return self._call(f"get {key}", lambda: self.inner.get(key))

    def open(self, key: str) -> StoredObject:
        return self._call(f"open {key}", lambda: self.inner.open(key))

    def exists(self, key: str) -> bool:
        return self._call(f"exists {key}", lambda: self.inner.exists(key))

    def delete(self, key: str) -> None:
        return self._call(f"delete {key}", lambda: self.inner.delete(key))

    def list(self, prefix: str = "") -> Iterator[str]:
        yield from self._resumed(prefix, lambda: self.inner.list(prefix), lambda key: key)

    def list_with_times(self, prefix: str = "") -> Iterator[ListedObject]:
        yield from self._resumed(
            prefix, lambda: self.inner.list_with_times(prefix), lambda item: item.key
        )

    def _resumed(
        self, prefix: str, listing: Callable[[], Iterator[T]], key_of: Callable[[T], str]
    ) -> Iterator[T]:
        """The listing, listed again after a failure from after the last key yielded."""
        last: str | None = None
        attempt = 1
        while True:
            try:
                for item in listing():
                    if last is not None and key_of(item) <= last:
                        continue
                    yield item
                    last = key_of(item)
                return
            except StorageUnavailable as exc:
                self._pause_or_raise(f"listing of {prefix!r}", attempt, exc)
                attempt += 1

    def url(self, key: str, *, expires_in: int = 900) -> str | None:
        return self.inner.url(key, expires_in=expires_in)  # signed locally, no network

    def check(self) -> None:
        self._call("check", self.inner.check)


def _seekable(data: BinaryIO) -> bool:
    try:
        return bool(data.seekable())
    except (AttributeError, OSError, ValueError):
        return False
