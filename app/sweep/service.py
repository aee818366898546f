"""Finding orphans by walking two sorted streams side by side: the keys in storage (as the
backend lists them, in byte order) and the keys the database references (ordered COLLATE "C",
the same byte order). Neither side is ever held in memory, so a bucket of millions of objects
costs one listing and one server-side cursor.

Why a grace period is enough to protect an upload in flight: the app writes the object first
and commits its row a moment later. The cutoff (now - grace) is fixed *before* the database
snapshot is taken, so any object old enough to be removed had its row committed long before
the snapshot, and the snapshot sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from app.db import Conn
from app.errors import BadRequest, InvalidKey, StorageError
from app.storage import ListedObject, Storage, validate_prefix

# Only objects the app writes under these prefixes, each with a row, are swept; anything else in
# the bucket (the published dashboard under public/, exports someone wrote there) is left alone.
SWEPT_PREFIXES = ("media/", "recordings/")

# Every column that holds a key of the recordings storage. A new one must be added here, or the
# sweep would take its objects for orphans.
_REFERENCES = """
SELECT key, source, row_id FROM (
    SELECT media_key AS key, 'contributions' AS source, id AS row_id
      FROM contributions
     WHERE media_key IS NOT NULL AND starts_with(media_key, %(prefix)s)
    UNION ALL
    SELECT media_key, 'dataset_rows', id
      FROM dataset_rows
     WHERE media_key IS NOT NULL AND starts_with(media_key, %(prefix)s)
) refs
ORDER BY key COLLATE "C", source, row_id
"""
_CURSOR_ROWS = 2000


@dataclass(frozen=True)
class Reference:
    """A row that names an object: its table, its id and the key."""

    key: str
    source: str
    row_id: int


@dataclass
class SweepResult:
    """What one sweep saw and did (with dry_run, `removed` counts what it would remove)."""

    scanned: int = 0
    referenced: int = 0
    fresh_orphans: int = 0
    removed: int = 0
    missing: int = 0


def check_sweep_prefixes(prefixes: Iterable[str]) -> list[str]:
    """The prefixes to sweep, sorted, with any prefix inside another one dropped.

    Raises BadRequest for a prefix outside SWEPT_PREFIXES or one that is not a valid key
    prefix (so `public/` or the whole bucket can never be swept).
    """
    chosen: list[str] = []
    for prefix in sorted(set(prefixes)):
        if not prefix.startswith(SWEPT_PREFIXES):
            allowed = ", ".join(SWEPT_PREFIXES)
            raise BadRequest(f"--prefix {prefix!r}: only prefixes under {allowed} can be swept")
        try:
            validate_prefix(prefix)
        except InvalidKey as exc:
            raise BadRequest(f"--prefix {prefix!r} is not a valid key prefix") from exc
        if not any(prefix.startswith(outer) for outer in chosen):
            chosen.append(prefix)
    return chosen


def sweep_orphans(
    conn: Conn,
    storage: Storage,
    *,
    prefixes: Iterable[str],
    cutoff: datetime,
    dry_run: bool,
    on_orphan: Callable[[str], None],
    on_missing: Callable[[Reference], None],
) -> SweepResult:
    """Remove objects under `prefixes` last written before `cutoff` that no row references
    (with dry_run, only report them); report rows whose object is not in storage.

    `conn` must not be in autocommit mode: the references are read through one server-side
    cursor per prefix inside a single REPEATABLE READ transaction (one snapshot for all).
    Raises StorageError/StorageUnavailable from the backend, and StorageError if a listing is
    not in byte order (then nothing more is removed: the merge would be wrong).
    """
    result = SweepResult()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for prefix in check_sweep_prefixes(prefixes):
            refs = _references(conn, prefix)
            objects = _in_order(storage.list_with_times(prefix), f"storage under {prefix!r}")
            for obj, matched in _merge(objects, refs, on_missing, result):
                result.scanned += 1
                if matched:
                    result.referenced += 1
                elif obj.modified >= cutoff:
                    result.fresh_orphans += 1  # maybe an upload whose row is not committed yet
                else:
                    if not dry_run:
                        storage.delete(obj.key)
                    result.removed += 1
                    on_orphan(obj.key)
    return result


def _references(conn: Conn, prefix: str) -> Iterator[Reference]:
    with conn.cursor(name="sweep_references") as cursor:
        cursor.itersize = _CURSOR_ROWS
        cursor.execute(_REFERENCES, {"prefix": prefix})
        for row in cursor:
            yield Reference(key=row["key"], source=row["source"], row_id=row["row_id"])


def _merge(
    objects: Iterator[ListedObject],
    refs: Iterator[Reference],
    on_missing: Callable[[Reference], None],
    result: SweepResult,
) -> Iterator[tuple[ListedObject, bool]]:
    """Yield each object with whether a row references it; report references that come
    before the next object in order (their object does not exist)."""
    ref = next(refs, None)
    for obj in objects:
        while ref is not None and ref.key < obj.key:
            result.missing += 1
            on_missing(ref)
            ref = next(refs, None)
        matched = ref is not None and ref.key == obj.key
        while ref is not None and ref.key == obj.key:  # one object may have several rows
            ref = next(refs, None)
        yield obj, matched
    while ref is not None:
        result.missing += 1
        on_missing(ref)
        ref = next(refs, None)


def _in_order(objects: Iterator[ListedObject], what: str) -> Iterator[ListedObject]:
    """Pass the listing through, refusing to go on if it is ever out of byte order."""
    previous = ""
    for obj in objects:
        if obj.key <= previous:
            raise StorageError(
                f"{what} is not listed in key order ({obj.key!r} after {previous!r}); "
                "stopping before removing anything wrongly"
            )
        previous = obj.key
        yield obj
