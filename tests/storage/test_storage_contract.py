"""The storage contract: the same behaviour from the local folder, S3 and GCS backends.

Each test runs three times (local, s3, gcs) against real servers; see conftest.py.
"""

from __future__ import annotations

import io
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import requests

from app.storage import InvalidKey, ObjectNotFound, Storage, StorageUnavailable

if TYPE_CHECKING:
    from tests.storage.conftest import Backend

KEY = "recordings/hi/3f/3f2a-clip.webm"
DATA = b"RIFF fake audio \x00\x01\x02 bytes"
SIX_MIB = 6 * 1024 * 1024


def test_put_then_get_returns_the_same_bytes(storage: Storage) -> None:
    storage.put(KEY, DATA, content_type="audio/webm")

    assert storage.get(KEY) == DATA


def test_put_accepts_a_binary_file(storage: Storage) -> None:
    storage.put(KEY, io.BytesIO(DATA), content_type="audio/webm")

    assert storage.get(KEY) == DATA


def test_a_six_mebibyte_file_round_trips_through_a_multipart_upload(storage: Storage) -> None:
    data = os.urandom(SIX_MIB)

    storage.put("media/audio/big.wav", io.BytesIO(data), content_type="audio/wav")

    assert storage.get("media/audio/big.wav") == data
    opened = storage.open("media/audio/big.wav")
    assert opened.size == SIX_MIB
    assert b"".join(opened.chunks) == data


def test_put_replaces_the_object_and_its_content_type(storage: Storage) -> None:
    storage.put(KEY, b"first version, longer than the second", content_type="audio/webm")

    storage.put(KEY, b"second", content_type="audio/ogg", cache_control="no-cache")

    opened = storage.open(KEY)
    assert b"".join(opened.chunks) == b"second"
    assert opened.size == len(b"second")
    assert opened.content_type == "audio/ogg"
    assert opened.cache_control == "no-cache"


def test_an_empty_object_round_trips(storage: Storage) -> None:
    storage.put(KEY, b"")

    opened = storage.open(KEY)
    assert (b"".join(opened.chunks), opened.size) == (b"", 0)
    assert storage.exists(KEY)


def test_get_of_a_missing_key_raises_object_not_found(storage: Storage) -> None:
    with pytest.raises(ObjectNotFound):
        storage.get("recordings/hi/00/missing.webm")


def test_open_of_a_missing_key_raises_object_not_found(storage: Storage) -> None:
    with pytest.raises(ObjectNotFound):
        storage.open("recordings/hi/00/missing.webm")


def test_exists_follows_put_and_delete(storage: Storage) -> None:
    assert not storage.exists(KEY)

    storage.put(KEY, DATA)
    assert storage.exists(KEY)

    storage.delete(KEY)
    assert not storage.exists(KEY)
    with pytest.raises(ObjectNotFound):
        storage.get(KEY)


def test_deleting_twice_or_deleting_nothing_is_not_an_error(storage: Storage) -> None:
    storage.put(KEY, DATA)

    storage.delete(KEY)
    storage.delete(KEY)
    storage.delete("never/stored.json")

    assert not storage.exists(KEY)


def test_list_yields_only_keys_under_the_prefix_in_lexicographic_order(
    storage: Storage,
) -> None:
    # '-' < '.' < '/' < '0' in byte order: a folder-by-folder walk would get this wrong.
    inside = ["a/b-c", "a/b.x", "a/b/c", "a/b0", "a/bb/d"]
    outside = ["a-b", "ab", "b/a", "a0/b"]
    shuffled = inside + outside
    random.Random(7).shuffle(shuffled)
    for key in shuffled:
        storage.put(key, key.encode())

    assert list(storage.list("a/")) == sorted(inside)
    assert list(storage.list("a/b/")) == ["a/b/c"]
    assert list(storage.list("a/b")) == sorted(inside)
    assert list(storage.list()) == sorted(inside + outside)
    assert list(storage.list("zzz/")) == []


def test_list_of_an_empty_store_yields_nothing(storage: Storage) -> None:
    assert list(storage.list()) == []
    assert list(storage.list_with_times()) == []


def test_list_with_times_yields_the_same_keys_as_list_with_their_write_times(
    storage: Storage,
) -> None:
    # Whole seconds: S3 reports LastModified to the second.
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    storage.put("a/first", b"1")
    time.sleep(1.5)
    storage.put("a/second", b"2")
    storage.put("b/outside", b"3")
    after = datetime.now(UTC) + timedelta(seconds=1)

    listed = list(storage.list_with_times("a/"))

    assert [item.key for item in listed] == list(storage.list("a/")) == ["a/first", "a/second"]
    first, second = (item.modified for item in listed)
    assert first.utcoffset() == timedelta(0) and second.utcoffset() == timedelta(0)
    assert before <= first < second <= after


def test_open_streams_chunks_with_size_and_content_type(storage: Storage) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    storage.put(KEY, data, content_type="audio/webm")

    opened = storage.open(KEY)
    chunks = list(opened.chunks)

    assert b"".join(chunks) == data
    assert all(isinstance(chunk, bytes) for chunk in chunks)
    assert opened.size == len(data)
    assert opened.content_type == "audio/webm"


def test_url_is_none_or_serves_the_exact_bytes(storage: Storage) -> None:
    storage.put(KEY, DATA, content_type="audio/webm")

    url = storage.url(KEY, expires_in=60)

    if url is None:
        assert b"".join(storage.open(KEY).chunks) == DATA
    else:
        response = requests.get(url, timeout=10)
        assert response.status_code == 200
        assert response.content == DATA


def test_check_passes_on_a_usable_bucket(storage: Storage) -> None:
    storage.check()


def test_check_reports_a_bucket_that_does_not_exist(backend: Backend) -> None:
    storage = backend.missing_bucket()

    with pytest.raises(StorageUnavailable) as raised:
        storage.check()

    assert "\n" not in raised.value.message


def test_put_into_a_bucket_that_does_not_exist_raises_storage_unavailable(
    backend: Backend,
) -> None:
    storage = backend.missing_bucket()

    with pytest.raises(StorageUnavailable):
        storage.put(KEY, DATA)


def test_check_reports_an_endpoint_where_nothing_listens(backend: Backend) -> None:
    storage = backend.unreachable()
    if storage is None:
        pytest.skip(f"{backend.name} has no endpoint")
    started = time.monotonic()

    with pytest.raises(StorageUnavailable) as raised:
        storage.check()

    assert "cannot reach" in raised.value.message
    assert "testing" not in raised.value.message  # the test credentials never leak
    # Generous: only guards against the client libraries' multi-minute default retries.
    assert time.monotonic() - started < 30


MALICIOUS_KEYS = [
    "../x",
    "/etc/passwd",
    "a/../../b",
    "a//b",
    ".hidden",
    "a/.hidden",
    "A",
    "x\\y",
    "",
    "a/./b",
    "a/",
    "nul\x00byte",
    "récording.webm",
    "हिन्दी/clip.webm",
]


def _every_method(storage: Storage, key: str) -> list[tuple[str, Callable[[], Any]]]:
    # Read-only calls first: if validation were broken, the test fails on them before the
    # calls that write or delete ever run against a path like "/etc/passwd".
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("exists", lambda: storage.exists(key)),
        ("get", lambda: storage.get(key)),
        ("open", lambda: storage.open(key)),
        ("url", lambda: storage.url(key)),
    ]
    if key not in ("", "a/"):  # both are valid listing prefixes, though not keys
        calls.append(("list", lambda: storage.list(key)))
        calls.append(("list_with_times", lambda: storage.list_with_times(key)))
    calls.append(("delete", lambda: storage.delete(key)))
    calls.append(("put", lambda: storage.put(key, b"should never be written")))
    return calls


@pytest.mark.parametrize("key", MALICIOUS_KEYS, ids=repr)
def test_keys_we_would_never_build_are_refused_by_every_method_without_side_effects(
    backend: Backend, key: str
) -> None:
    storage = backend.fresh()
    before = backend.everything_stored(storage)

    for method, call in _every_method(storage, key):
        with pytest.raises(InvalidKey):
            call()
            pytest.fail(f"{backend.name}.{method}({key!r}) did not raise InvalidKey")

    assert backend.everything_stored(storage) == before
