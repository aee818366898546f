"""Builders for the text tasks' export tests: items with their media in the app's storage, and
contributions with their verdict, written straight to the database as the code would leave them.

A decided contribution is stored with its counted votes in the same transaction: migration
0009's deferred trigger checks at commit that accept_count and reject_count are those votes.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from app.storage import Storage
from app.storage.keys import media_key, recording_key

_CONTRIBUTION = """
INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,
                           idempotency_key, text, media_key, duration_ms, status,
                           accept_count, reject_count, decided_at, reference_score,
                           reference_metric, past_threshold, corrects_id, report_count)
VALUES (%(public_id)s, %(contributor)s, %(item)s, %(language)s, %(kind)s,
        %(key)s, %(text)s, %(media_key)s, %(duration_ms)s, %(status)s,
        %(accepts)s, %(rejects)s, CASE WHEN %(status)s <> 'pending' THEN now() END, %(score)s,
        %(metric)s, %(past)s, %(corrects)s, %(reports)s)
RETURNING id
"""


@dataclass
class Made:
    """What a builder made: contributions by a short name, and every contributor."""

    ids: dict[str, int] = field(default_factory=dict)
    public: dict[str, str] = field(default_factory=dict)  # name -> public id
    people: dict[str, uuid.UUID] = field(default_factory=dict)  # name -> contributor id


class Builder:
    """Arranges items and contributions in one language's database (autocommit `db`)."""

    def __init__(self, db: psycopg.Connection[Any], storage: Storage) -> None:
        self.db = db
        self.storage = storage
        self.made = Made()
        self.validators = [self.person(f"validator {n}") for n in range(3)]

    def person(self, name: str) -> uuid.UUID:
        """A contributor (created once per name)."""
        if name not in self.made.people:
            ident = uuid.uuid4()
            self.db.execute("INSERT INTO contributors (id) VALUES (%s)", (ident,))
            self.made.people[name] = ident
        return self.made.people[name]

    def store(self, kind: str, language: str, data: bytes, extension: str) -> str:
        """Put ingested media into storage; return its key."""
        key = media_key(kind, language, uuid.uuid4(), extension)
        self.storage.put(key, data)
        return key

    def item(self, kind: str, language: str, **columns: Any) -> int:
        """A dataset row of `kind` with the given columns; return its id."""
        if "media_measures" in columns:
            columns["media_measures"] = Jsonb(columns["media_measures"])
        names = ["language_code", "kind", *columns]
        values = [language, kind, *columns.values()]
        marks = ", ".join(["%s"] * len(values))
        row = self.db.execute(
            f"INSERT INTO dataset_rows ({', '.join(names)}) VALUES ({marks}) RETURNING id",
            values,
        ).fetchone()
        assert row is not None
        return int(row["id"])

    def recording(self, speaker: str, sentence: int, language: str, audio: bytes) -> int:
        """A pending recording of `sentence` by `speaker`, its audio in storage; its id."""
        public_id = uuid.uuid4()
        key = recording_key(language, public_id, "wav")
        self.storage.put(key, audio)
        row = self.db.execute(
            _CONTRIBUTION,
            {
                **self._defaults(),
                "public_id": public_id,
                "contributor": self.person(speaker),
                "item": sentence,
                "language": language,
                "kind": "recording",
                "media_key": key,
                "duration_ms": 2000,
                "text": None,
            },
        ).fetchone()
        assert row is not None
        return int(row["id"])

    def contribute(
        self,
        name: str,
        *,
        by: str,
        item: int,
        language: str,
        kind: str,
        text: str,
        votes: str = "",  # "aa": two accepts, "rr": two rejects, "a": one accept...
        status: str = "pending",
        score: float | None = None,
        metric: str | None = None,
        past: bool = False,
        corrects: str | None = None,
        reports: int = 0,
    ) -> None:
        """A text contribution with its counted votes, in one transaction."""
        public_id = uuid.uuid4()
        with self.db.transaction():
            row = self.db.execute(
                _CONTRIBUTION,
                {
                    **self._defaults(),
                    "public_id": public_id,
                    "contributor": self.person(by),
                    "item": item,
                    "language": language,
                    "kind": kind,
                    "text": text,
                    "status": status,
                    "accepts": votes.count("a"),
                    "rejects": votes.count("r"),
                    "score": score,
                    "metric": metric,
                    "past": past,
                    "corrects": self.made.ids[corrects] if corrects else None,
                    "reports": reports,
                },
            ).fetchone()
            assert row is not None
            for validator, vote in zip(self.validators, votes, strict=False):
                self.db.execute(
                    "INSERT INTO validations (contribution_id, validator_id, verdict)"
                    " VALUES (%s, %s, %s)",
                    (row["id"], validator, {"a": "accept", "r": "reject"}[vote]),
                )
        self.made.ids[name] = int(row["id"])
        self.made.public[name] = str(public_id)

    @staticmethod
    def _defaults() -> dict[str, Any]:
        return {
            "key": uuid.uuid4().hex,
            "media_key": None,
            "duration_ms": None,
            "status": "pending",
            "accepts": 0,
            "rejects": 0,
            "score": None,
            "metric": None,
            "past": False,
            "corrects": None,
            "reports": 0,
        }


def check_sums(root: Path) -> set[str]:
    """Recompute SHA256SUMS as `sha256sum -c` would; return the files it lists."""
    listed = set()
    for line in (root / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((root / name).read_bytes()).hexdigest() == digest, name
        listed.add(name)
    published = {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file()
        and ".export" not in p.parts
        and p.name != "SHA256SUMS"
        and not p.name.endswith(".tar.gz")  # beside the files it packs, not one of them
    }
    assert listed == published
    return listed


def assert_no_raw_ids(root: Path, people: list[uuid.UUID]) -> None:
    """No contributor id, in any usual spelling, in any published file."""
    for path in root.rglob("*"):
        if not path.is_file() or ".export" in path.parts:
            continue
        data = path.read_bytes().lower()
        for person in people:
            for spelling in (str(person), person.hex):
                assert spelling.encode() not in data, (path, person)
