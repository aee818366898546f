"""Object storage in a local folder: one file per object, for development and single hosts.

An object `a/b/c.webm` is the file `<root>/a/b/c.webm`; its content type and cache control
sit beside it in the sidecar `<root>/a/b/.c.webm.meta`. Valid keys never have a segment that
starts with '.', so sidecars and temporary files can never be mistaken for objects.

Unlike a bucket, a folder cannot hold both an object `a/b` and objects under `a/b/`; the
keys we build never do that (objects end in an extension, folders do not).
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from app.errors import InvalidKey, ObjectNotFound, StorageError, StorageUnavailable
from app.storage.base import ListedObject, StoredObject, validate_key, validate_prefix
from app.storage.chunks import ClosingChunks
from app.storage.keys import is_valid_key

_CHUNK = 256 * 1024
_DEFAULT_TYPE = "application/octet-stream"
_MISSING = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


class LocalStorage:
    """Objects as files under `root`; the folder is created on first write."""

    name = "local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(os.path.abspath(Path(root).expanduser()))

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str = _DEFAULT_TYPE,
        cache_control: str | None = None,
    ) -> None:
        """Write the object atomically (readers see the old or the new file, never a part).

        Raises InvalidKey for a key we would not build, StorageUnavailable if the folder
        cannot be created, StorageError if the file cannot be written (disk full,
        permissions, a key already used as a folder).
        """
        path = self._path(key)
        meta = json.dumps({"content_type": content_type, "cache_control": cache_control})
        self._make_root()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Sidecar first: if the data write then fails, an orphan sidecar is harmless,
            # whereas new bytes with a stale content type would be served wrongly.
            _write_atomically(_meta_path(path), meta.encode())
            _write_atomically(path, data)
            _fsync_dir(path.parent)
        except IsADirectoryError as exc:
            reason = f"cannot write {key!r}: it is already a folder of other keys"
            raise StorageError(f"local storage {self.root}: {reason}") from exc
        except NotADirectoryError as exc:
            reason = f"cannot write {key!r}: a folder on its path is already an object"
            raise StorageError(f"local storage {self.root}: {reason}") from exc
        except OSError as exc:
            raise StorageError(self._message(f"cannot write {key!r}", exc)) from exc

    def get(self, key: str) -> bytes:
        """Return the object's bytes. Raises InvalidKey, ObjectNotFound, StorageError."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except _MISSING:
            raise self._not_found(key) from None
        except OSError as exc:
            raise StorageError(self._message(f"cannot read {key!r}", exc)) from exc

    def open(self, key: str) -> StoredObject:
        """Open the object for streaming in chunks; the file is closed when the chunks end.

        Raises InvalidKey, ObjectNotFound, StorageError.
        """
        path = self._path(key)
        try:
            file = path.open("rb")
        except _MISSING:
            raise self._not_found(key) from None
        except OSError as exc:
            raise StorageError(self._message(f"cannot read {key!r}", exc)) from exc
        size = os.fstat(file.fileno()).st_size
        chunks = ClosingChunks(iter(lambda: file.read(_CHUNK), b""), file.close)
        content_type, cache_control = _metadata(path)
        return StoredObject(
            chunks=chunks, size=size, content_type=content_type, cache_control=cache_control
        )

    def exists(self, key: str) -> bool:
        """True if a file is stored at `key`. Raises InvalidKey."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the object and its sidecar; a missing object is fine.

        Raises InvalidKey, StorageError (e.g. permissions).
        """
        path = self._path(key)
        try:
            for file in (path, _meta_path(path)):
                with contextlib.suppress(*_MISSING):
                    file.unlink()
        except OSError as exc:
            raise StorageError(self._message(f"cannot delete {key!r}", exc)) from exc

    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield the keys under `prefix` in lexicographic order.

        Files whose names are not valid keys (sidecars, temporary files, strays) are skipped.
        Raises InvalidKey for a bad prefix (at the call, not on iteration).
        """
        return self._iter_keys(self._listing_start(prefix), prefix)

    def list_with_times(self, prefix: str = "") -> Iterator[ListedObject]:
        """Like `list`, with each file's modification time. Raises InvalidKey for a bad
        prefix (at the call)."""
        return self._iter_with_times(self._listing_start(prefix), prefix)

    def url(self, key: str, *, expires_in: int = 900) -> str | None:
        """Always None: the app streams local objects itself. Raises InvalidKey."""
        self._path(key)
        return None

    def check(self) -> None:
        """Create the folder if needed and prove it is writable; raise StorageUnavailable."""
        self._make_root()
        try:
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".check-") as probe:
                probe.write(b"ok")
                probe.flush()
        except OSError as exc:
            unwritable = self._message("folder is not writable", exc)
            raise StorageUnavailable(unwritable, transient=False) from exc

    def _make_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            uncreatable = self._message("cannot create the folder", exc)
            raise StorageUnavailable(uncreatable, transient=False) from exc

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = self.root / key
        if not self._inside_root(path, allow_root=False):
            raise InvalidKey(f"refusing object key {key!r}: it leaves the storage folder")
        return path

    def _inside_root(self, path: Path, *, allow_root: bool) -> bool:
        # validate_key already forbids '..'; this also catches symlinks planted under root.
        root = self.root.resolve()
        resolved = path.resolve()
        return resolved.is_relative_to(root) and (allow_root or resolved != root)

    def _listing_start(self, prefix: str) -> Path:
        validate_prefix(prefix)
        start = self.root / prefix.rpartition("/")[0]
        if not self._inside_root(start, allow_root=True):
            raise InvalidKey(f"refusing prefix {prefix!r}: it leaves the storage folder")
        return start

    def _iter_with_times(self, start: Path, prefix: str) -> Iterator[ListedObject]:
        for key in self._iter_keys(start, prefix):
            try:
                mtime = (self.root / key).stat().st_mtime
            except _MISSING:
                continue  # deleted since the folder was walked: not there any more
            except OSError as exc:
                raise StorageError(self._message(f"cannot stat {key!r}", exc)) from exc
            yield ListedObject(key, datetime.fromtimestamp(mtime, UTC))

    def _iter_keys(self, start: Path, prefix: str) -> Iterator[str]:
        keys = []
        for folder, subfolders, files in os.walk(start):
            subfolders[:] = [name for name in subfolders if not name.startswith(".")]
            relative = Path(folder).relative_to(self.root).as_posix()
            for name in files:
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix) and is_valid_key(key):
                    keys.append(key)
        yield from sorted(keys)

    def _not_found(self, key: str) -> ObjectNotFound:
        return ObjectNotFound(f"no object {key!r} in local storage {self.root}")

    def _message(self, what: str, exc: OSError) -> str:
        return f"local storage {self.root}: {what}: {exc.strerror or type(exc).__name__}"


def _meta_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.meta")


def _metadata(path: Path) -> tuple[str, str | None]:
    """Content type and cache control from the sidecar (type guessed if the sidecar is gone)."""
    try:
        meta = json.loads(_meta_path(path).read_text())
        cache_control = meta.get("cache_control")
        return str(meta["content_type"]), str(cache_control) if cache_control else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return mimetypes.guess_type(path.name)[0] or _DEFAULT_TYPE, None


def _write_atomically(path: Path, data: bytes | BinaryIO) -> None:
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp:
            # mkstemp makes the file 0600; objects should be as readable as any file we write.
            os.fchmod(temp.fileno(), 0o644)
            if isinstance(data, bytes | bytearray | memoryview):
                temp.write(data)
            else:
                shutil.copyfileobj(data, temp, _CHUNK)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
