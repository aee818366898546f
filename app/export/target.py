"""Where an export goes: a local folder, or a bucket prefix (s3://bucket/prefix,
gs://bucket/prefix) written through our storage backends from a local staging folder.

Bucket keys are lower case by design (app/storage/base.py), so README.md and SHA256SUMS are
uploaded as readme.md and sha256sums, the latter listing the names as uploaded: a downloaded
prefix checks with `sha256sum -c sha256sums`.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.errors import InvalidKey
from app.export.audio import run_pool
from app.export.state import ExportError, ExportState
from app.export.writer import CHECKSUMS, README, file_sha256
from app.settings import Settings
from app.storage import Storage, validate_prefix
from app.storage.retrying import RetryingStorage

_BUCKET_URL = re.compile(r"(s3|gs)://([^/]+)/?(.*)")
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9]")
_BUCKET_NAMES = {README: "readme.md", CHECKSUMS: "sha256sums"}
CONTENT_TYPES = {
    "tsv": "text/tab-separated-values; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "gz": "application/gzip",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "webm": "audio/webm",
    "ogg": "audio/ogg",
    "mp4": "audio/mp4",
    "m4a": "audio/mp4",
    "mp3": "audio/mpeg",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "jsonl": "application/jsonl; charset=utf-8",
    "tmx": "application/x-tmx+xml; charset=utf-8",
}


@dataclass(frozen=True)
class Target:
    """An export destination: files are written to `local_dir`, then uploaded to `bucket`
    under `prefix` when there is one."""

    url: str
    local_dir: Path
    bucket: Storage | None = None
    prefix: str = ""
    staging_is_temporary: bool = False

    def key(self, path: str) -> str:
        """The bucket key of a file of the export."""
        name = _BUCKET_NAMES.get(path, path)
        return f"{self.prefix}/{name}" if self.prefix else name


def open_target(out: str, settings: Settings, staging: Path | None = None) -> Target:
    """Parse `out`: a bucket URL gets a backend for that bucket (configured like the app's:
    S3_ENDPOINT_URL, AWS_REGION, GOOGLE_CLOUD_PROJECT) and a staging folder (`staging`, else
    one in the system's temporary folder named after the URL, so a rerun resumes it).

    Raises ExportError for a malformed bucket URL or prefix. No network call is made.
    """
    match = _BUCKET_URL.fullmatch(out.strip())
    if match is None:
        if "://" in out:
            raise ExportError(f"--out {out!r}: expected a folder, s3://bucket/prefix or gs://...")
        return Target(url=out, local_dir=Path(out).expanduser().resolve())
    scheme, bucket_name, prefix = match.group(1), match.group(2), match.group(3).strip("/")
    if not _BUCKET_NAME.fullmatch(bucket_name):
        raise ExportError(f"--out {out!r}: {bucket_name!r} is not a valid bucket name")
    try:
        validate_prefix(prefix)
    except InvalidKey:
        raise ExportError(
            f"--out {out!r}: the prefix must be lower-case letters, digits, '-', '_', '.' and '/'"
        ) from None
    bucket: Storage
    if scheme == "s3":
        from app.storage.s3 import S3Storage

        bucket = S3Storage(
            bucket_name, endpoint_url=settings.s3_endpoint_url, region=settings.aws_region
        )
    else:
        from app.storage.gcs import GCSStorage

        bucket = GCSStorage(bucket_name, project=settings.gcs_project)
    temporary = staging is None
    if staging is None:
        digest = hashlib.sha256(out.encode()).hexdigest()[:12]
        staging = Path(tempfile.gettempdir()) / f"crowdsource-export-{digest}"
    return Target(
        url=out,
        local_dir=staging.expanduser().resolve(),
        bucket=RetryingStorage(bucket),  # an export is batch work (app.storage.retrying)
        prefix=prefix,
        staging_is_temporary=temporary,
    )


def upload(
    target: Target,
    state: ExportState,
    hashes: dict[str, str],
    *,
    extra: list[str],
    workers: int,
    on_file: Callable[[], None] = lambda: None,
) -> int:
    """Upload every file in `hashes` (path -> sha256) plus `extra` (e.g. the tarball), then
    the checksums file last, skipping objects already uploaded with the same content; return
    how many were uploaded. Raises StorageError / StorageUnavailable."""
    assert target.bucket is not None
    bucket = target.bucket
    hashes = {**hashes, **{path: file_sha256(target.local_dir / path) for path in extra}}
    uploaded = 0

    def send(path: str) -> tuple[str, str] | None:
        key = target.key(path)
        if state.uploaded.get(key) == hashes[path]:
            return None
        with (target.local_dir / path).open("rb") as handle:
            bucket.put(key, handle, content_type=content_type(path))
        return key, hashes[path]

    for sent in run_pool(send, sorted(hashes), workers):
        if sent is not None:
            state.record_upload(*sent)
            uploaded += 1
        on_file()
    # The checksums, with the names as uploaded, go last: their presence marks a finished set.
    sums = "".join(
        f"{digest}  {_BUCKET_NAMES.get(path, path)}\n"
        for path, digest in sorted(hashes.items())
        if path not in extra
    ).encode()
    bucket.put(target.key(CHECKSUMS), io.BytesIO(sums), content_type="text/plain; charset=utf-8")
    state.record_upload(target.key(CHECKSUMS), hashlib.sha256(sums).hexdigest())
    on_file()
    return uploaded + 1


def finish(target: Target, state: ExportState) -> None:
    """After a successful upload, remove a staging folder we chose ourselves."""
    state.close()
    if target.bucket is not None and target.staging_is_temporary:
        shutil.rmtree(target.local_dir, ignore_errors=True)


def content_type(path: str) -> str:
    """The Content-Type of an export file, from its extension."""
    return CONTENT_TYPES.get(path.rsplit(".", 1)[-1], "application/octet-stream")
