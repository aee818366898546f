"""Fixtures for the operator commands (sweep, backup, restore): rows that reference objects,
made with plain SQL, and the session's moto server for the S3 runs."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.conftest import TEST_SECRET
from tests.storage.conftest import moto_url  # noqa: F401 (fixture)


@pytest.fixture
def base_env(database_url: str) -> dict[str, str]:
    """What every command run needs: the test database and a secret key."""
    return {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET}


def recording_key(language: str = "hi") -> str:
    """A key shaped like the ones uploads get (see app/storage/keys.py)."""
    ident = str(uuid.uuid4())
    return f"recordings/{language}/{ident[:2]}/{ident}.webm"


def media_key(language: str = "hi") -> str:
    """A key shaped like the ones `ingest media` gives audio clips."""
    ident = str(uuid.uuid4())
    return f"media/audio/{language}/{ident[:2]}/{ident}.wav"


def add_recording(db: psycopg.Connection, key: str) -> int:
    """A contribution (with its person and sentence) whose audio is `key`; returns its id."""
    person = uuid.uuid4()
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (person,))
    item = db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', %s)"
        " RETURNING id",
        (f"वाक्य {uuid.uuid4().hex}",),
    ).fetchone()
    assert item is not None
    row = db.execute(
        """INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,
                                      idempotency_key, media_key)
           VALUES (%s, %s, %s, 'hi', 'recording', %s, %s) RETURNING id""",
        (uuid.uuid4(), person, item["id"], uuid.uuid4().hex, key),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def add_media_row(db: psycopg.Connection, key: str) -> int:
    """An ingested audio item (to transcribe) whose media is `key`; returns its id."""
    row = db.execute(
        """INSERT INTO dataset_rows (language_code, kind, text, media_key, media_duration_ms)
           VALUES ('hi', 'audio', 'संदर्भ', %s, 2000) RETURNING id""",
        (key,),
    ).fetchone()
    assert row is not None
    return int(row["id"])
