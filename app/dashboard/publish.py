"""Publishing dashboard documents to the bucket: a new versioned set, then the manifest.

Readers fetch the manifest and then the files it names. The files of a version are written
before the manifest points at them and are never changed, so a reader always gets one
complete set; old sets are removed only after several newer ones exist.
"""

from __future__ import annotations

import json
from typing import Any

from app.errors import ObjectNotFound
from app.storage import Storage

PREFIX = "public/dashboard"
MANIFEST_KEY = f"{PREFIX}/manifest.json"
MANIFEST_CACHE = "public, max-age=60"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
KEEP_VERSIONS = 5


def version_key(version: str, name: str) -> str:
    return f"{PREFIX}/v/{version}/{name}.json"


def publish(
    storage: Storage, version: str, generated_at: str, documents: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Write every document under the new version, then the manifest; return the manifest."""
    files = {}
    for name, document in documents.items():
        key = version_key(version, name)
        body = {"version": version, "generated_at": generated_at, **document}
        storage.put(
            key, _json(body), content_type="application/json", cache_control=IMMUTABLE_CACHE
        )
        files[name] = key
    manifest = {"version": version, "generated_at": generated_at, "files": files}
    storage.put(
        MANIFEST_KEY, _json(manifest), content_type="application/json", cache_control=MANIFEST_CACHE
    )
    return manifest


def read_manifest(storage: Storage) -> dict[str, Any] | None:
    """The current manifest, or None before the first refresh."""
    try:
        manifest: dict[str, Any] = json.loads(storage.get(MANIFEST_KEY))
    except ObjectNotFound:
        return None
    return manifest


def prune_old_versions(storage: Storage, *, current: str, keep: int = KEEP_VERSIONS) -> int:
    """Remove all but the newest `keep` versions (versions sort by time), never `current` (the
    one the manifest points at); return how many were removed."""
    versions = sorted({key.split("/")[3] for key in storage.list(f"{PREFIX}/v/")} - {current})
    stale = versions[: -(keep - 1)] if keep > 1 else versions
    for version in stale:
        for key in list(storage.list(f"{PREFIX}/v/{version}/")):
            storage.delete(key)
    return len(stale)


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()
