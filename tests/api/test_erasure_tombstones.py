"""Erasures outlive a restore (issue #20): whoever a restore of an older backup brought back
is erased again by the next dashboard refresh and the next dataset export, and a lost
tombstone object is written again from its erasures row."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask

from app import create_app
from app.contributors.tombstones import reapply_erasures, tombstone_key, tombstoned_ids
from app.dashboard.publish import MANIFEST_KEY
from app.dashboard.refresh import refresh_dashboard
from app.errors import StorageUnavailable
from app.export.base import ExportOptions
from app.export.service import export_language
from app.export.target import open_target
from app.settings import Settings
from app.storage import Storage, make_storage
from tests.api.conftest import clip, count_rows
from tests.api.test_my_data import CONFIRM, world


def _bring_back(db: psycopg.Connection, who: uuid.UUID, item: int) -> None:
    """What a restore of a backup older than the erasure does: the person and a recording of
    theirs are back, the erasures row is gone."""
    db.execute("DELETE FROM erasures")
    db.execute(
        "INSERT INTO contributors (id, display_name, leaderboard_opt_in) VALUES"
        " (%s, 'Anabelle', true)",
        (who,),
    )
    db.execute(
        """INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,
                                      idempotency_key, media_key)
           VALUES (%s, %s, %s, 'hi', 'recording', %s, %s)""",
        (uuid.uuid4(), who, item, uuid.uuid4().hex, f"recordings/hi/aa/{uuid.uuid4()}.wav"),
    )


def test_the_next_refresh_erases_again_whoever_a_restore_brought_back(
    app: Flask, database_url: str, db: psycopg.Connection, add_sentences: Any
) -> None:
    w = world(app, db, add_sentences)
    assert w["ana"].delete("/api/v1/me", json=CONFIRM).status_code == 200
    _bring_back(db, w["who"], add_sentences(1)[0])
    storage: Storage = app.extensions["crowdsource.storage"]
    lines: list[str] = []

    assert refresh_dashboard(database_url, storage, report=lines.append) is not None

    assert any(str(w["who"]) in line for line in lines)
    assert count_rows(db, "contributions") == 1
    assert (
        db.execute("SELECT contributor_id FROM erasures").fetchone()["contributor_id"] == w["who"]
    )
    manifest = json.loads(storage.get(MANIFEST_KEY))
    files = {name: json.loads(storage.get(key)) for name, key in manifest["files"].items()}
    assert "Anabelle" not in json.dumps(files)
    # Ben's recording only, by Ben only: without the re-erasure, Ana's would count too.
    totals = files["summary"]["totals"]
    assert (totals["recordings"], totals["speakers"]) == (1, 1)


def test_a_lost_tombstone_object_is_written_again(
    app: Flask, database_url: str, db: psycopg.Connection, add_sentences: Any
) -> None:
    w = world(app, db, add_sentences)
    assert w["ana"].delete("/api/v1/me", json=CONFIRM).status_code == 200
    storage: Storage = app.extensions["crowdsource.storage"]
    storage.delete(tombstone_key(w["who"]))
    with psycopg.connect(database_url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        assert reapply_erasures(conn, storage) == []
    assert tombstoned_ids(storage) == {w["who"]}


def test_the_next_dataset_export_leaves_out_whoever_a_restore_brought_back(
    app: Flask, settings: Settings, db: psycopg.Connection, add_sentences: Any, tmp_path: Path
) -> None:
    w = world(app, db, add_sentences)
    assert w["ana"].delete("/api/v1/me", json=CONFIRM).status_code == 200
    _bring_back(db, w["who"], add_sentences(1)[0])
    back = db.execute(
        "SELECT public_id, media_key FROM contributions WHERE contributor_id = %s", (w["who"],)
    ).fetchone()
    storage: Storage = app.extensions["crowdsource.storage"]
    storage.put(back["media_key"], clip("hi_1.wav"), content_type="audio/wav")
    assert settings.database_url is not None

    result = export_language(
        settings.database_url,
        storage,
        open_target(str(tmp_path / "out"), settings),
        ExportOptions(language="hi", workers=1),
        salt=b"test-salt",
    )

    written = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert str(back["public_id"]).encode() not in written
    assert not storage.exists(back["media_key"])  # erased again, object and all
    assert sum(result.rows.values()) > 0 and count_rows(db, "erasures") == 1


class Undeletable:
    """The app's storage, where deleting an object fails (S3 answering 503) until `heal`."""

    def __init__(self, inner: Storage) -> None:
        self.inner, self.name, self.broken = inner, inner.name, True

    def delete(self, key: str) -> None:
        if self.broken and key.startswith("recordings/"):
            raise StorageUnavailable("storage answered 503")
        self.inner.delete(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_objects_that_could_not_be_deleted_are_recorded_and_deleted_later(
    settings: Settings, database_url: str, db: psycopg.Connection, add_sentences: Any
) -> None:
    storage = Undeletable(make_storage(settings))
    app = create_app(settings, database_url=database_url, storage=storage)  # type: ignore[arg-type]
    w = world(app, db, add_sentences)
    keys = sorted(
        r["media_key"]
        for r in db.execute(
            "SELECT media_key FROM contributions WHERE contributor_id = %s", (w["who"],)
        )
    )

    answer = w["ana"].delete("/api/v1/me", json=CONFIRM).get_json()

    # The database part is whole; what storage refused is recorded, and said.
    assert answer["removed"]["objects_failed"] == 2 and answer["removed"]["objects_deleted"] == 0
    assert count_rows(db, "contributions") == 1
    removed = db.execute("SELECT removed FROM erasures").fetchone()["removed"]
    assert sorted(removed["objects_failed"]) == keys
    assert all(storage.exists(k) for k in keys)
    # Storage answers again: the next reapplication (refresh, restore, export) deletes them.
    storage.broken = False
    with psycopg.connect(database_url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        assert reapply_erasures(conn, storage) == []  # type: ignore[arg-type]
    assert not any(storage.exists(k) for k in keys)
    removed = db.execute("SELECT removed FROM erasures").fetchone()["removed"]
    assert removed["objects_failed"] == [] and removed["objects_deleted"] == 2
    app.extensions["crowdsource.db"].close()
