"""Erasures and their tombstones: one place that erases a person on request and makes the
erasure stick.

An erasure (DELETE /api/v1/me, `crowdsource contributors erase`) is written twice: a row in
`erasures` and an object `erasures/<contributor id>.json` in the recordings storage. The row
is lost when the database is restored from a backup older than the erasure; the object is
not (storage is not in the backup). So `crowdsource restore`, the dashboard refresh and the
dataset export each start with `reapply_erasures`, which reads both lists and erases again
whoever the database still (or again) holds, and puts back the missing row or object.

Order of one erasure (`erase_on_request`):

1. The tombstone object is written first: it is the request, durable before anything goes.
   If storage cannot be written, nothing is done (StorageUnavailable, 503: try again). If
   the database part then fails, the tombstone stays and the next refresh completes it.
2. One transaction: the person's row locked, what goes counted, `erase_contributor`, the
   `erasures` row written.
3. After the commit, their objects are deleted (each tried a few times). A key that could
   not be deleted is recorded in the erasures row (`removed.objects_failed`) and in the
   tombstone, and deleted again by every later `reapply_erasures` until it is gone.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb

from app.contributors.erase import erase_contributor
from app.db import Conn
from app.errors import ObjectNotFound, StorageError
from app.storage import Storage
from app.storage.retrying import RetryingStorage

log = logging.getLogger(__name__)

PREFIX = "erasures/"
REQUESTERS = ("volunteer", "operator")

# What goes, counted before it goes (the person's row is locked: nothing is added meanwhile).
_COUNTS = """
SELECT (SELECT count(*) FROM contributions
         WHERE contributor_id = %(who)s AND kind = 'recording') AS recordings,
       (SELECT count(*) FROM contributions
         WHERE contributor_id = %(who)s AND kind <> 'recording') AS contributions,
       (SELECT count(*) FROM validations v JOIN contributions c ON c.id = v.contribution_id
         WHERE v.validator_id = %(who)s AND c.contributor_id <> %(who)s) AS votes_anonymised,
       (SELECT count(*) FROM reports WHERE reporter_id = %(who)s) AS reports_anonymised,
       (SELECT count(*) FROM achievements WHERE contributor_id = %(who)s) AS achievements,
       (SELECT count(*) FROM certificates WHERE contributor_id = %(who)s) AS certificates
"""

_RECORD = """
INSERT INTO erasures (contributor_id, requested_by, erased_at, removed)
VALUES (%(who)s, %(by)s, %(at)s, %(removed)s)
    ON CONFLICT (contributor_id) DO UPDATE SET removed = excluded.removed
"""

_ERASURE = "SELECT requested_by, erased_at, removed FROM erasures WHERE contributor_id = %(who)s"


def tombstone_key(contributor_id: uuid.UUID) -> str:
    """The storage key of a person's tombstone."""
    return f"{PREFIX}{contributor_id}.json"


def erase_on_request(
    conn: Conn, storage: Storage, contributor_id: uuid.UUID, requested_by: str
) -> dict[str, Any] | None:
    """Erase a person (see the module docstring for the order of things) and return what was
    removed: counts of recordings, other contributions, votes and reports anonymised,
    achievements, certificates, objects deleted, and the keys that could not be deleted.

    A person erased before gets their earlier erasure back (`already_erased` true), after
    another try at the objects that could not be deleted then. Returns None for an id that
    was never a contributor (nothing is written). Raises StorageUnavailable / StorageError
    when the tombstone cannot be written (then nothing was done).
    """
    if requested_by not in REQUESTERS:
        raise ValueError(f"requested_by must be one of {REQUESTERS}")
    if not _exists(conn, contributor_id):
        earlier = conn.execute(_ERASURE, {"who": contributor_id}).fetchone()
        if earlier is None:
            return None
        return {**_retry_failed(conn, storage, contributor_id, earlier), "already_erased": True}
    erased_at = datetime.now(UTC)
    write_tombstone(storage, contributor_id, requested_by, erased_at, {})
    erased = _erase_in_database(conn, contributor_id, requested_by, erased_at)
    if erased is None:  # erased meanwhile by a concurrent request: that one reports it
        earlier = conn.execute(_ERASURE, {"who": contributor_id}).fetchone()
        return {**(earlier["removed"] if earlier else {}), "already_erased": True}
    removed = _finish(conn, storage, contributor_id, requested_by, erased_at, erased)
    return {**removed, "already_erased": False}


def _exists(conn: Conn, contributor_id: uuid.UUID) -> bool:
    row = conn.execute("SELECT 1 FROM contributors WHERE id = %(who)s", {"who": contributor_id})
    return row.fetchone() is not None


def _erase_in_database(
    conn: Conn, contributor_id: uuid.UUID, requested_by: str, erased_at: datetime
) -> dict[str, Any] | None:
    """Step 2: count, erase and record in one transaction; None if the person was gone by
    the time their row was locked. Committed on return (a pooled connection's own
    transaction is committed first, so that the objects are deleted only after this one)."""
    conn.commit()
    with conn.transaction():
        locked = conn.execute(
            "SELECT 1 FROM contributors WHERE id = %(who)s FOR UPDATE", {"who": contributor_id}
        ).fetchone()
        if locked is None:
            return None
        counts = conn.execute(_COUNTS, {"who": contributor_id}).fetchone()
        keys = erase_contributor(conn, contributor_id)
        removed: dict[str, Any] = {k: int(v) for k, v in dict(counts or {}).items()}
        removed["objects"] = keys  # deleted after the commit; replaced by the outcome then
        conn.execute(
            _RECORD,
            {"who": contributor_id, "by": requested_by, "at": erased_at,
             "removed": Jsonb({**removed, "objects_failed": keys})},
        )  # fmt: skip
    conn.commit()
    return removed


def _finish(
    conn: Conn,
    storage: Storage,
    contributor_id: uuid.UUID,
    requested_by: str,
    erased_at: datetime,
    removed: dict[str, Any],
) -> dict[str, Any]:
    """Step 3: delete the objects, then record the outcome in the row and the tombstone."""
    keys = removed.pop("objects")
    failed = delete_objects(storage, keys)
    removed["objects_deleted"] = len(keys) - len(failed)
    removed["objects_failed"] = failed
    conn.execute(
        "UPDATE erasures SET removed = %(removed)s WHERE contributor_id = %(who)s",
        {"removed": Jsonb(removed), "who": contributor_id},
    )
    conn.commit()
    try:
        write_tombstone(storage, contributor_id, requested_by, erased_at, removed)
    except StorageError as exc:  # the first version stands; the row has the details
        log.warning("tombstone of %s not updated: %s", contributor_id, exc.message)
    return removed


def _retry_failed(
    conn: Conn, storage: Storage, contributor_id: uuid.UUID, earlier: dict[str, Any]
) -> dict[str, Any]:
    removed = dict(earlier["removed"] or {})
    failed = list(removed.get("objects_failed") or [])
    if not failed:
        return removed
    still = delete_objects(storage, failed)
    removed["objects_deleted"] = int(removed.get("objects_deleted", 0)) + len(failed) - len(still)
    removed["objects_failed"] = still
    conn.execute(
        "UPDATE erasures SET removed = %(removed)s WHERE contributor_id = %(who)s",
        {"removed": Jsonb(removed), "who": contributor_id},
    )
    return removed


def delete_objects(storage: Storage, keys: Iterable[str], *, attempts: int = 3) -> list[str]:
    """Delete each object, each tried up to `attempts` times on a transient failure; return
    the keys that could not be deleted (logged), never raising."""
    patient = RetryingStorage(storage, attempts=attempts, first_wait_s=0.2)
    failed = []
    for key in keys:
        try:
            patient.delete(key)
        except StorageError as exc:
            log.warning("could not delete %s: %s", key, exc.message)
            failed.append(key)
    return failed


def write_tombstone(
    storage: Storage,
    contributor_id: uuid.UUID,
    requested_by: str,
    erased_at: datetime,
    removed: dict[str, Any],
) -> None:
    """Write (or replace) the person's tombstone object. Raises StorageError."""
    body = {
        "contributor_id": str(contributor_id),
        "requested_by": requested_by,
        "erased_at": erased_at.isoformat(),
        "removed": removed,
    }
    storage.put(
        tombstone_key(contributor_id),
        json.dumps(body, sort_keys=True).encode(),
        content_type="application/json",
    )


def tombstoned_ids(storage: Storage) -> set[uuid.UUID]:
    """The contributor ids that have a tombstone object (a stray key is ignored)."""
    found = set()
    for key in storage.list(PREFIX):
        name = key[len(PREFIX) :]
        if name.endswith(".json"):
            try:
                found.add(uuid.UUID(name[: -len(".json")]))
            except ValueError:
                log.warning("ignoring %s: not a tombstone", key)
    return found


def _read_tombstone(storage: Storage, contributor_id: uuid.UUID) -> dict[str, Any]:
    try:
        body = json.loads(storage.get(tombstone_key(contributor_id)))
    except (ObjectNotFound, ValueError):
        body = {}
    body = body if isinstance(body, dict) else {}
    if body.get("requested_by") not in REQUESTERS:
        body["requested_by"] = "operator"
    try:
        body["erased_at"] = datetime.fromisoformat(str(body.get("erased_at")))
    except ValueError:
        body["erased_at"] = datetime.now(UTC)
    if not isinstance(body.get("removed"), dict):
        body["removed"] = {}
    return body


def reapply_erasures(conn: Conn, storage: Storage) -> list[uuid.UUID]:
    """Make every erasure hold again: erase whoever has a tombstone or an `erasures` row and
    is still (or again, after a restore) in the database, deleting their objects; put back a
    missing `erasures` row or tombstone object; try again the objects an erasure could not
    delete. Returns the ids erased again (sorted).

    Raises StorageError when the tombstones cannot be listed (the caller stops: going on
    would publish people who asked to be erased).
    """
    in_storage = tombstoned_ids(storage)
    rows = {row["contributor_id"]: row for row in conn.execute(
        "SELECT contributor_id, requested_by, erased_at, removed FROM erasures")}  # fmt: skip
    erased_again = []
    for who in sorted(in_storage | set(rows)):
        row = rows.get(who)
        if row is None:
            stone = _read_tombstone(storage, who)
            row = {"requested_by": stone["requested_by"], "erased_at": stone["erased_at"],
                   "removed": stone["removed"]}  # fmt: skip
            values = {"who": who, "by": row["requested_by"], "at": row["erased_at"]}
            conn.execute(_RECORD, {**values, "removed": Jsonb(row["removed"])})
        if who not in in_storage:
            write_tombstone(storage, who, row["requested_by"], row["erased_at"], row["removed"])
        if _exists(conn, who):
            again = _erase_in_database(conn, who, row["requested_by"], row["erased_at"])
            if again is not None:
                _finish(conn, storage, who, row["requested_by"], row["erased_at"], again)
                erased_again.append(who)
                continue
        _retry_failed(conn, storage, who, row)
    return erased_again
