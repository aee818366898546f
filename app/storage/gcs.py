"""Object storage in a Google Cloud Storage bucket (or the local GCS emulator).

With STORAGE_EMULATOR_HOST set (e.g. http://127.0.0.1:9023) the client talks to the
emulator with anonymous credentials; otherwise it uses Application Default Credentials.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator
from typing import Any, BinaryIO

import requests
from google.api_core import exceptions as api
from google.auth import exceptions as auth
from google.auth.credentials import AnonymousCredentials, Signing
from google.cloud import storage

from app.errors import ObjectNotFound, StorageError, StorageUnavailable
from app.storage.base import ListedObject, StoredObject, validate_key, validate_prefix
from app.storage.keys import is_valid_key

EMULATOR_PROJECT = "crowdsource-local"
_CHUNK = 1024 * 1024
_DEFAULT_TYPE = "application/octet-stream"
# STORAGE_TIMEOUT bounds a whole call, as for S3 (app/storage/s3.py says why): one attempt,
# a connect timeout of at most 1 s and the read timeout the budget. (The library's own
# retries with a 10 s budget and a 30 s read timeout made a hung endpoint cost 30 s.)
DEFAULT_TIMEOUT_S = 8
_UNREACHABLE = (
    api.RetryError,
    api.ServiceUnavailable,
    api.InternalServerError,
    api.BadGateway,
    api.GatewayTimeout,
    api.TooManyRequests,
    requests.ConnectionError,
    requests.Timeout,
    auth.TransportError,
)


class GCSStorage:
    """Objects in one GCS bucket."""

    name = "gcs"

    def __init__(
        self,
        bucket: str,
        project: str | None = None,
        client: Any = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.bucket = bucket
        self._timeout = (min(1.0, timeout_s), float(timeout_s))  # (connect, read) seconds
        self.endpoint = os.environ.get("STORAGE_EMULATOR_HOST") or "https://storage.googleapis.com"
        self._client = client if client is not None else self._make_client(project)
        self._bucket = self._client.bucket(bucket)

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str = _DEFAULT_TYPE,
        cache_control: str | None = None,
    ) -> None:
        """Write the whole object (file objects of unknown size go up as a resumable upload).

        Raises InvalidKey, StorageUnavailable (bucket missing, access denied, endpoint down),
        StorageError for any other refusal.
        """
        validate_key(key)
        blob = self._bucket.blob(key)
        blob.cache_control = cache_control
        with self._translate(None):  # a 404 on upload can only mean the bucket is missing
            if isinstance(data, bytes | bytearray | memoryview):
                blob.upload_from_string(
                    bytes(data), content_type=content_type, timeout=self._timeout, retry=None
                )
            else:
                blob.upload_from_file(
                    data, content_type=content_type, timeout=self._timeout, retry=None
                )

    def get(self, key: str) -> bytes:
        """Return the object's bytes. Raises InvalidKey, ObjectNotFound, StorageUnavailable."""
        validate_key(key)
        with self._translate(key):
            data: bytes = self._bucket.blob(key).download_as_bytes(
                timeout=self._timeout, retry=None
            )
        return data

    def open(self, key: str) -> StoredObject:
        """Read the object's metadata, then stream its bytes in ranged reads of 1 MiB,
        pinned to the generation we saw so an overwrite cannot splice two versions.

        Raises InvalidKey, ObjectNotFound, StorageUnavailable (also while streaming).
        """
        validate_key(key)
        with self._translate(key):
            blob = self._bucket.get_blob(key, timeout=self._timeout, retry=None)
        if blob is None:
            raise self._not_found(key)
        return StoredObject(
            chunks=self._stream(key, blob.generation, blob.size or 0),
            size=blob.size or 0,
            content_type=blob.content_type or _DEFAULT_TYPE,
            cache_control=blob.cache_control,
        )

    def exists(self, key: str) -> bool:
        """True if the object exists (a missing bucket also answers False).

        Raises InvalidKey, StorageUnavailable.
        """
        validate_key(key)
        with self._translate(key):
            found: bool = self._bucket.blob(key).exists(timeout=self._timeout, retry=None)
        return found

    def delete(self, key: str) -> None:
        """Remove the object; a missing object is fine. Raises InvalidKey, StorageUnavailable."""
        validate_key(key)
        with contextlib.suppress(ObjectNotFound), self._translate(key):
            self._bucket.blob(key).delete(timeout=self._timeout, retry=None)

    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield the keys under `prefix` in lexicographic order, page by page.

        Objects whose names are not valid keys (put there by someone else) are skipped.
        Raises InvalidKey for a bad prefix (at the call), StorageUnavailable while iterating.
        """
        validate_prefix(prefix)
        return self._iter_keys(prefix)

    def list_with_times(self, prefix: str = "") -> Iterator[ListedObject]:
        """Like `list`, with each object's `updated` time (from the same listing pages).
        Raises InvalidKey for a bad prefix (at the call), StorageUnavailable while iterating."""
        validate_prefix(prefix)
        return (ListedObject(blob.name, blob.updated) for blob in self._iter_blobs(prefix))

    def url(self, key: str, *, expires_in: int = 900) -> str | None:
        """A v4 signed GET URL when our credentials can sign (a service-account key),
        else None and the app streams the object. Raises InvalidKey."""
        validate_key(key)
        if not isinstance(getattr(self._client, "_credentials", None), Signing):
            return None
        with self._translate(key):
            url: str = self._bucket.blob(key).generate_signed_url(
                version="v4",
                expiration=datetime.timedelta(seconds=expires_in),
                method="GET",
            )
        return url

    def check(self) -> None:
        """List at most one object, once, without retrying; raise StorageUnavailable saying
        why the bucket is not usable. (Listing needs only object permissions, which is all a
        service account of this app is given; reading bucket metadata needs more.)"""
        with self._translate(None):
            blobs = self._client.list_blobs(
                self._bucket, max_results=1, timeout=self._timeout, retry=None
            )
            for _ in blobs:
                pass

    def _make_client(self, project: str | None) -> Any:
        if os.environ.get("STORAGE_EMULATOR_HOST"):
            return storage.Client(
                project=project or EMULATOR_PROJECT, credentials=AnonymousCredentials()
            )
        try:
            return storage.Client(project=project)
        except auth.DefaultCredentialsError as exc:
            reason = "no Google credentials found (set GOOGLE_APPLICATION_CREDENTIALS)"
            raise StorageUnavailable(self._message(reason)) from exc

    def _iter_keys(self, prefix: str) -> Iterator[str]:
        return (blob.name for blob in self._iter_blobs(prefix))

    def _iter_blobs(self, prefix: str) -> Iterator[Any]:
        with self._translate(None):
            blobs = self._client.list_blobs(
                self._bucket, prefix=prefix or None, timeout=self._timeout, retry=None
            )
            for blob in blobs:
                if is_valid_key(blob.name):
                    yield blob

    def _stream(self, key: str, generation: int | None, size: int) -> Iterator[bytes]:
        blob = self._bucket.blob(key, generation=generation)
        with self._translate(key):
            for start in range(0, size, _CHUNK):
                end = min(start + _CHUNK, size) - 1
                yield blob.download_as_bytes(
                    start=start, end=end, timeout=self._timeout, retry=None
                )

    @contextlib.contextmanager
    def _translate(self, key: str | None) -> Iterator[None]:
        """Turn google-cloud failures into our errors; `key` None means a bucket call."""
        try:
            yield
        except api.NotFound as exc:
            # GCS answers 404 both for a missing object and a missing bucket; only the
            # message tells them apart (the emulator does not say, so it reads as the object).
            if key is not None and "bucket does not exist" not in str(exc.message).lower():
                raise self._not_found(key) from exc
            raise StorageUnavailable(
                self._message("the bucket does not exist"), transient=False
            ) from exc
        except (api.Forbidden, api.Unauthorized) as exc:
            denied = self._message(f"access denied (HTTP {exc.code})")
            raise StorageUnavailable(denied, transient=False) from exc
        except _UNREACHABLE as exc:
            reason = f"cannot reach the endpoint ({_cause_name(exc)})"
            raise StorageUnavailable(self._message(reason)) from exc
        except (auth.RefreshError, auth.DefaultCredentialsError) as exc:
            refused = self._message("credentials were refused")
            raise StorageUnavailable(refused, transient=False) from exc
        except api.GoogleAPICallError as exc:
            raise StorageError(self._message(f"request refused (HTTP {exc.code})")) from exc

    def _not_found(self, key: str) -> ObjectNotFound:
        return ObjectNotFound(f"no object {key!r} in GCS bucket {self.bucket!r}")

    def _message(self, reason: str) -> str:
        return f"GCS bucket {self.bucket!r} at {self.endpoint}: {reason}"


def _cause_name(exc: BaseException) -> str:
    if isinstance(exc, api.RetryError) and exc.cause is not None:
        return f"gave up retrying: {type(exc.cause).__name__}"
    return type(exc).__name__
