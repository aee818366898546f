"""The storage contract every backend fulfils (local folder, S3, GCS).

Keys are built by our own code (see `keys.py`) and checked by `validate_key` before any
backend sees them, so a key can never climb out of its bucket or folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

from app.errors import InvalidKey

# Lower-case ASCII segments of letters, digits, '_', '-', '.', separated by single '/'.
# A segment may not be '.' or '..' and may not start with '.', so no traversal and no dotfiles.
_SEGMENT = r"[a-z0-9_-][a-z0-9_.-]{0,127}"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT}){{0,15}}")


def validate_key(key: str) -> str:
    """Return `key` unchanged if it is one we could have built; raise InvalidKey otherwise."""
    if not isinstance(key, str) or len(key) > 1024 or not _KEY_RE.fullmatch(key):
        raise InvalidKey(f"refusing object key {key!r}: keys are built by the application")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix is a key, or a key followed by '/', or empty (everything)."""
    if prefix == "":
        return prefix
    validate_key(prefix.rstrip("/") if prefix.endswith("/") else prefix)
    return prefix


@dataclass(frozen=True)
class StoredObject:
    """An object opened for reading: its bytes as chunks, plus what a response needs."""

    chunks: Iterator[bytes]
    size: int
    content_type: str
    cache_control: str | None = None  # as given to put(), for responses that stream the object


@dataclass(frozen=True)
class ListedObject:
    """A key from a listing with the time its object was last written (timezone-aware UTC)."""

    key: str
    modified: datetime


class Storage(Protocol):
    """What the application needs from object storage, and nothing more."""

    name: str  # "local" | "s3" | "gcs"

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
    ) -> None:
        """Write the whole object (replacing any object at `key`)."""
        ...

    def get(self, key: str) -> bytes:
        """Return the object's bytes; raise ObjectNotFound if there is none."""
        ...

    def open(self, key: str) -> StoredObject:
        """Open the object for streaming; raise ObjectNotFound if there is none."""
        ...

    def exists(self, key: str) -> bool:
        """True if an object is stored at `key`."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield the keys under `prefix`, in lexicographic order."""
        ...

    def list_with_times(self, prefix: str = "") -> Iterator[ListedObject]:
        """Like `list`, with each object's last-write time (what the orphan sweep needs to
        leave an upload in flight alone)."""
        ...

    def url(self, key: str, *, expires_in: int = 900) -> str | None:
        """A time-limited URL a browser can GET the object from, or None when the
        backend cannot make one (then the app streams the object through `open`)."""
        ...

    def check(self) -> None:
        """Raise StorageUnavailable (bucket missing, no access, endpoint down) with a clear
        one-line message; return None when the bucket is reachable and usable."""
        ...
