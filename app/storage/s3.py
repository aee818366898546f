"""Object storage in an S3 bucket (AWS, or any S3-compatible endpoint such as MinIO or moto)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from app.errors import ObjectNotFound, StorageError, StorageUnavailable
from app.storage.base import ListedObject, StoredObject, validate_key, validate_prefix
from app.storage.chunks import ClosingChunks
from app.storage.keys import is_valid_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_MIB = 1024 * 1024
_CHUNK = 256 * 1024
_DEFAULT_TYPE = "application/octet-stream"
# STORAGE_TIMEOUT bounds the whole call, not one attempt: a hung endpoint must cost a
# volunteer's request at most that plus 2 s. So one attempt: the read timeout is the budget,
# the connect timeout at most 1 s, and botocore's wait for "100 Continue" on bodies above
# 1 MB at most 1 s more. Retrying inside that budget would halve every attempt's patience;
# the browser retries a failed upload itself, with the same idempotency key. (Note that
# botocore reads `max_attempts` as retries after the first try: {"max_attempts": 2} made
# three attempts of 8 s each plus back-off, 27 s for a hung endpoint.) Larger transfers
# such as exports go up in 5 MiB parts, each with its own timeout.
DEFAULT_TIMEOUT_S = 8


def _config(timeout_s: float) -> Config:
    return Config(
        connect_timeout=min(1, timeout_s),
        read_timeout=timeout_s,
        retries={"total_max_attempts": 1, "mode": "standard"},
        signature_version="s3v4",
    )


# 5 MiB is S3's smallest part; uploads from files larger than that go up in parts.
_TRANSFER = TransferConfig(multipart_threshold=5 * _MIB, multipart_chunksize=5 * _MIB)
_MISSING_OBJECT = {"NoSuchKey", "404", "NotFound"}
_MISSING_BUCKET = {"NoSuchBucket"}
_DENIED = {
    "403",
    "AccessDenied",
    "AllAccessDisabled",
    "ExpiredToken",
    "InvalidAccessKeyId",
    "InvalidToken",
    "SignatureDoesNotMatch",
}


class S3Storage:
    """Objects in one S3 bucket; `endpoint_url` points at a non-AWS S3 service."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: S3Client | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.bucket = bucket
        if client is None:
            # Custom endpoints (MinIO, moto, an IP address) rarely resolve bucket subdomains.
            config = _config(timeout_s)
            if endpoint_url:
                config = config.merge(Config(s3={"addressing_style": "path"}))
            client = boto3.client(
                "s3", endpoint_url=endpoint_url, region_name=region, config=config
            )
        self._client = client
        self.endpoint = endpoint_url or client.meta.endpoint_url

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str = _DEFAULT_TYPE,
        cache_control: str | None = None,
    ) -> None:
        """Write the whole object; file objects above 5 MiB are uploaded in parts.

        Raises InvalidKey, StorageUnavailable (bucket missing, access denied, endpoint down),
        StorageError for any other refusal.
        """
        validate_key(key)
        extra: dict[str, Any] = {"ContentType": content_type}
        if cache_control is not None:
            extra["CacheControl"] = cache_control
        with self._translate(key):
            if isinstance(data, bytes | bytearray | memoryview):
                body = bytes(data)
                self._client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
            else:
                self._client.upload_fileobj(
                    data, self.bucket, key, ExtraArgs=extra, Config=_TRANSFER
                )

    def get(self, key: str) -> bytes:
        """Return the object's bytes. Raises InvalidKey, ObjectNotFound, StorageUnavailable."""
        stored = self.open(key)
        return b"".join(stored.chunks)

    def open(self, key: str) -> StoredObject:
        """Start a GET and return its body as chunks, with size and content type.

        Raises InvalidKey, ObjectNotFound, StorageUnavailable (also while streaming).
        """
        validate_key(key)
        with self._translate(key):
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        body = response["Body"]
        return StoredObject(
            chunks=ClosingChunks(self._stream(body, key), body.close),
            size=response["ContentLength"],
            content_type=response.get("ContentType") or _DEFAULT_TYPE,
            cache_control=response.get("CacheControl"),
        )

    def exists(self, key: str) -> bool:
        """True if the object exists (a missing bucket also answers False: HEAD has no body
        to tell them apart). Raises InvalidKey, StorageUnavailable."""
        validate_key(key)
        try:
            with self._translate(key):
                self._client.head_object(Bucket=self.bucket, Key=key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        """Remove the object; S3 treats a missing one as deleted. Raises InvalidKey,
        StorageUnavailable."""
        validate_key(key)
        with self._translate(key):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield the keys under `prefix` in lexicographic order, page by page.

        Objects whose names are not valid keys (put there by someone else) are skipped.
        Raises InvalidKey for a bad prefix (at the call), StorageUnavailable while iterating.
        """
        validate_prefix(prefix)
        return self._iter_keys(prefix)

    def list_with_times(self, prefix: str = "") -> Iterator[ListedObject]:
        """Like `list`, with each object's LastModified (from the same listing pages).
        Raises InvalidKey for a bad prefix (at the call), StorageUnavailable while iterating."""
        validate_prefix(prefix)
        items = self._iter_items(prefix)
        return (ListedObject(item["Key"], item["LastModified"]) for item in items)

    def url(self, key: str, *, expires_in: int = 900) -> str | None:
        """A presigned GET URL valid for `expires_in` seconds (made locally, no request).

        Raises InvalidKey, StorageUnavailable when there are no credentials to sign with.
        """
        validate_key(key)
        with self._translate(key):
            return self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=expires_in,
            )

    def check(self) -> None:
        """HEAD the bucket; raise StorageUnavailable saying why it is not usable."""
        with self._translate(None):
            self._client.head_bucket(Bucket=self.bucket)

    def _iter_keys(self, prefix: str) -> Iterator[str]:
        return (item["Key"] for item in self._iter_items(prefix))

    def _iter_items(self, prefix: str) -> Iterator[Any]:
        paginator = self._client.get_paginator("list_objects_v2")
        with self._translate(None):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if is_valid_key(item["Key"]):
                        yield item

    def _stream(self, body: Any, key: str) -> Iterator[bytes]:
        with self._translate(key):
            yield from body.iter_chunks(_CHUNK)

    @contextlib.contextmanager
    def _translate(self, key: str | None) -> Iterator[None]:
        """Turn boto3/botocore failures into our errors; `key` None means a bucket call."""
        try:
            yield
        except ClientError as exc:
            raise self._client_error(exc, key) from exc
        except S3UploadFailedError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ClientError):
                raise self._client_error(cause, key) from exc
            raise StorageError(self._message("upload failed")) from exc
        except (BotoConnectionError, HTTPClientError) as exc:
            reason = f"cannot reach the endpoint ({type(exc).__name__})"
            raise StorageUnavailable(self._message(reason)) from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            reason = "no usable AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
            raise StorageUnavailable(self._message(reason), transient=False) from exc
        except BotoCoreError as exc:
            raise StorageError(self._message(type(exc).__name__)) from exc

    def _client_error(self, exc: ClientError, key: str | None) -> StorageError:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if key is not None and code in _MISSING_OBJECT:
            return ObjectNotFound(f"no object {key!r} in S3 bucket {self.bucket!r}")
        if code in _MISSING_BUCKET or (key is None and code in _MISSING_OBJECT):
            return StorageUnavailable(self._message("the bucket does not exist"), transient=False)
        if code in _DENIED:
            return StorageUnavailable(self._message(f"access denied ({code})"), transient=False)
        if status >= 500 or code in {"SlowDown", "ServiceUnavailable", "InternalError"}:
            return StorageUnavailable(self._message(f"the service failed ({code or status})"))
        return StorageError(self._message(f"request refused ({code or status})"))

    def _message(self, reason: str) -> str:
        return f"S3 bucket {self.bucket!r} at {self.endpoint}: {reason}"
