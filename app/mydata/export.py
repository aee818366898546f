"""A person's own data as a zip (GET /api/v1/me/export), made on request and streamed.

`read_my_data` reads everything but the audio in one consistent snapshot, then the
connection goes back to the pool; `zip_chunks` streams the zip as it is made, reading each
recording from storage as its turn comes (see zipstream.py): neither the zip nor the audio
is ever held whole in memory. The size is bounded before anything is sent: the recordings'
`size_bytes` plus a generous allowance per row must be within MY_DATA_EXPORT_MAX_MB.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.db import Conn
from app.errors import CrowdsourceError, StorageError
from app.i18n.text import Text
from app.mydata.zipstream import Entry, stream_zip
from app.storage import Storage
from app.tasks import task_of_kind_sql

log = logging.getLogger(__name__)

ROW_ALLOWANCE_BYTES = 4096  # per contribution or vote: its CSV and JSON lines, generously

_PROFILE = """
SELECT id AS contributor_id, display_name, age_group, gender, mother_tongue, region_code,
       interface_locale, time_zone, leaderboard_opt_in, created_at, updated_at
  FROM contributors WHERE id = %(who)s
"""
_GOALS = (
    "SELECT task, target, updated_at FROM weekly_goals WHERE contributor_id = %(who)s ORDER BY task"
)
CONTRIBUTION_FIELDS = (
    "id", "task", "language", "item_text", "text", "status", "accept_count", "reject_count",
    "created_at", "decided_at", "precheck_score", "precheck_metric", "duration_ms", "recording",
)  # fmt: skip
_CONTRIBUTIONS = f"""
SELECT c.public_id AS id, {task_of_kind_sql("c.kind")} AS task, c.language_code AS language,
       d.text AS item_text, c.text, c.status, c.accept_count, c.reject_count, c.created_at,
       c.decided_at, c.reference_score AS precheck_score, c.reference_metric AS precheck_metric,
       c.duration_ms, c.media_key, c.media_type, c.size_bytes
  FROM contributions c JOIN dataset_rows d ON d.id = c.item_id
 WHERE c.contributor_id = %(who)s
 ORDER BY c.created_at, c.id
"""
VOTE_FIELDS = ("contribution_id", "task", "language", "verdict", "role", "created_at")
_VOTES = f"""
SELECT c.public_id AS contribution_id, {task_of_kind_sql("c.kind")} AS task,
       c.language_code AS language, v.verdict, v.role, v.created_at
  FROM validations v JOIN contributions c ON c.id = v.contribution_id
 WHERE v.validator_id = %(who)s
 ORDER BY v.created_at, v.id
"""
_ACHIEVEMENTS = """
SELECT kind, language_code AS language, task, category, threshold, awarded_at
  FROM achievements WHERE contributor_id = %(who)s ORDER BY awarded_at, id
"""
_CERTIFICATES = """
SELECT code, name, languages, contributions, validations, issued_at
  FROM certificates WHERE contributor_id = %(who)s ORDER BY issued_at, code
"""
_EXTENSIONS = {"audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a",
               "audio/wav": "wav", "audio/mpeg": "mp3"}  # fmt: skip


class ExportTooLarge(CrowdsourceError):
    code = "export_too_large"
    http_status = 413


@dataclass
class MyData:
    """Everything of one person the zip holds, but the audio (read from storage later)."""

    profile: dict[str, Any]
    contributions: list[dict[str, Any]]
    votes: list[dict[str, Any]]
    achievements: list[dict[str, Any]]
    certificates: list[dict[str, Any]]
    recordings: list[tuple[str, str]] = field(default_factory=list)  # (zip path, storage key)

    @property
    def estimated_bytes(self) -> int:
        """An upper bound of the zip's size: the recordings and an allowance per row."""
        audio = sum(int(c["size_bytes"] or 0) for c in self.contributions if c["media_key"])
        rows = len(self.contributions) + len(self.votes)
        return audio + rows * ROW_ALLOWANCE_BYTES + 256 * 1024


def read_my_data(conn: Conn, contributor_id: uuid.UUID, *, max_bytes: int) -> MyData:
    """Read the person's data in one snapshot. Raises ExportTooLarge (413) when the zip
    could exceed `max_bytes`. A person without a row gets an empty profile."""
    conn.commit()  # a snapshot of its own: the first statement of a new transaction
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    who = {"who": contributor_id}
    profile = dict(conn.execute(_PROFILE, who).fetchone() or {"contributor_id": contributor_id})
    profile["weekly_goals"] = conn.execute(_GOALS, who).fetchall()
    data = MyData(
        profile=profile,
        contributions=conn.execute(_CONTRIBUTIONS, who).fetchall(),
        votes=conn.execute(_VOTES, who).fetchall(),
        achievements=conn.execute(_ACHIEVEMENTS, who).fetchall(),
        certificates=conn.execute(_CERTIFICATES, who).fetchall(),
    )
    conn.commit()
    if data.estimated_bytes > max_bytes:
        raise ExportTooLarge(
            Text(
                "Your data is too large to download at once (about {size} MB, the limit is "
                "{limit} MB). Please write to the team, who can send it to you another way.",
                size=data.estimated_bytes // 2**20,
                limit=max_bytes // 2**20,
            )
        )
    for row in data.contributions:
        if row["media_key"]:
            path = f"recordings/{row['id']}.{_extension(row['media_key'], row['media_type'])}"
            row["recording"] = path
            data.recordings.append((path, row["media_key"]))
        else:
            row["recording"] = None
    return data


def _extension(key: str, media_type: str | None) -> str:
    tail = key.rsplit("/", 1)[-1]
    if "." in tail:
        return tail.rsplit(".", 1)[-1]
    return _EXTENSIONS.get(media_type or "", "bin")


def plain(value: Any) -> Any:
    """A database value as the zip's JSON and CSV write it (ISO dates, text UUIDs)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def zip_chunks(
    data: MyData, storage: Storage, readme: Callable[[list[str]], str]
) -> Iterator[bytes]:
    """The zip's bytes, a piece at a time. `readme(missing)` writes README.txt last, given
    the recordings that could not be read from storage (left out of the zip)."""
    missing: list[str] = []
    entries: list[Entry] = [
        Entry("profile.json", lambda: [_json(data.profile)]),
        Entry("contributions.csv", lambda: _csv(CONTRIBUTION_FIELDS, data.contributions)),
        Entry("contributions.json", lambda: _json_lines(CONTRIBUTION_FIELDS, data.contributions)),
        Entry("votes.csv", lambda: _csv(VOTE_FIELDS, data.votes)),
        Entry("votes.json", lambda: _json_lines(VOTE_FIELDS, data.votes)),
        Entry("achievements.json", lambda: [_json(data.achievements)]),
        Entry("certificates.json", lambda: [_json(data.certificates)]),
    ]
    for path, key in data.recordings:
        entries.append(Entry(path, _audio(storage, key, path, missing), compress=False))
    entries.append(Entry("README.txt", lambda: [readme(missing).encode()]))
    yield from stream_zip(entries)


def _audio(
    storage: Storage, key: str, path: str, missing: list[str]
) -> Callable[[], Iterable[bytes] | None]:
    def opened() -> Iterable[bytes] | None:
        try:
            return storage.open(key).chunks
        except StorageError as exc:  # ObjectNotFound included: listed in README.txt
            log.warning("my-data export: %s not read: %s", key, exc.message)
            missing.append(path)
            return None

    return opened


def _json(value: Any) -> bytes:
    return json.dumps(plain(value), ensure_ascii=False, indent=2).encode()


def _json_lines(fields: tuple[str, ...], rows: list[dict[str, Any]]) -> Iterator[bytes]:
    yield b"["
    for n, row in enumerate(rows):
        line = json.dumps({f: plain(row[f]) for f in fields}, ensure_ascii=False)
        yield f"{',' if n else ''}\n  {line}".encode()
    yield b"\n]\n"


def _csv(fields: tuple[str, ...], rows: list[dict[str, Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for n, row in enumerate(rows, start=1):
        writer.writerow(["" if row[f] is None else plain(row[f]) for f in fields])
        if n % 200 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
