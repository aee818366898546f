"""Object storage: one small interface (`Storage`), three backends (local folder, S3, GCS).

Callers use `make_storage(settings)` and the `Storage` methods only; keys come from
`app.storage.keys`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from app.errors import InvalidKey, ObjectNotFound, SettingsError, StorageError, StorageUnavailable
from app.storage.base import ListedObject, Storage, StoredObject, validate_key, validate_prefix

if TYPE_CHECKING:
    from app.settings import Settings

__all__ = [
    "InvalidKey",
    "ListedObject",
    "ObjectNotFound",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "StoredObject",
    "make_dashboard_storage",
    "make_storage",
    "validate_key",
    "validate_prefix",
]


def make_storage(settings: Settings) -> Storage:
    """Build the backend named by `settings.storage_backend` (no network call is made).

    Raises SettingsError for an unknown backend, StorageUnavailable when GCS finds no
    credentials.
    """
    # Imported here: a deployment needs only one of boto3 and google-cloud-storage, and each
    # adds a few hundred milliseconds to every start-up (CLI commands included).
    if settings.storage_backend == "local":
        from app.storage.local import LocalStorage

        return LocalStorage(settings.local_storage_dir)
    if settings.storage_backend == "s3":
        from app.storage.s3 import S3Storage

        return S3Storage(
            settings.bucket_name,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.aws_region,
            timeout_s=settings.storage_timeout_s,
        )
    if settings.storage_backend == "gcs":
        from app.storage.gcs import GCSStorage

        return GCSStorage(
            settings.bucket_name,
            project=settings.gcs_project,
            timeout_s=settings.storage_timeout_s,
        )
    raise SettingsError(
        "STORAGE_BACKEND",
        f"unknown value {settings.storage_backend!r} (expected one of: local, s3, gcs)",
    )


def make_dashboard_storage(settings: Settings, recordings: Storage | None = None) -> Storage:
    """Where the published dashboard goes: its own bucket when DASHBOARD_BUCKET_NAME is set
    (a CDN reads only that one), else the recordings storage (`recordings` when given)."""
    if settings.dashboard_bucket_name is None:
        return recordings or make_storage(settings)
    return make_storage(replace(settings, bucket_name=settings.dashboard_bucket_name))
