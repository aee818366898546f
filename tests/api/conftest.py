"""API test helpers: people (each a client with their own session), sentences, audio files."""

from __future__ import annotations

import io
import itertools
import re
import uuid
import wave
from collections.abc import Callable
from typing import Any

import numpy as np
import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import SAMPLE_AUDIO

AUDIO = SAMPLE_AUDIO


def clip(name: str) -> bytes:
    """A clip from the shared sample data (espeak-ng speech, browser encodings, the fake mic)."""
    return (AUDIO / name).read_bytes()


def wav_bytes(samples: np.ndarray, rate: int = 16_000) -> bytes:
    """16-bit mono WAV of float samples in [-1, 1]."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


def silence(seconds: float = 2.0) -> bytes:
    return wav_bytes(np.zeros(int(16_000 * seconds)))


_VOTE_PATH = re.compile(r"/api/v1/(?:recordings|contributions)/([^/?]+)/votes")
_HEARD = """
INSERT INTO clip_servings (contributor_id, contribution_id, served_at)
SELECT %(me)s, c.id, now() - interval '1 hour' FROM contributions c WHERE c.public_id = %(id)s
    ON CONFLICT (contributor_id, contribution_id) DO UPDATE SET served_at = excluded.served_at
"""


class Person(FlaskClient):
    """A visitor with a session (as a page view gives one) who has listened to every clip
    they vote on: before a vote, the clip is recorded as handed to them an hour ago. Pass
    `listened=False` to vote without that (tests of the listening rule)."""

    def contributor_id(self) -> uuid.UUID | None:
        from app.contributors.identity import COOKIE_NAME, _serializer, read_session_value

        cookie = self.get_cookie(COOKIE_NAME)
        if cookie is None:
            return None
        with self.application.test_request_context():
            return read_session_value(_serializer().loads(cookie.value))[0]

    def post(self, *args: Any, listened: bool = True, **kwargs: Any) -> Any:
        path = str(args[0]) if args else str(kwargs.get("path", ""))
        match = _VOTE_PATH.fullmatch(path.split("?")[0])
        me = self.contributor_id()
        if listened and match and me is not None:
            try:
                recording = uuid.UUID(match[1])
            except ValueError:
                recording = None
            if recording is not None:
                with self.application.extensions["crowdsource.db"].connection() as conn:
                    conn.execute(_HEARD, {"me": me, "id": recording})
        return super().post(*args, **kwargs)


_addresses = itertools.count(1)


def new_person(app: Flask, *, session: bool = True) -> Person:
    """A new visitor, each from an address of their own (the test client's REMOTE_ADDR, from
    the 198.18.0.0/15 range kept for tests; no traffic goes anywhere), so that a test with
    many people does not meet the per-address limits; with `session`, one that has been given
    a session."""
    client = Person(app, app.response_class, use_cookies=True)
    n = next(_addresses)
    client.environ_base["REMOTE_ADDR"] = f"198.{18 + (n >> 16) % 2}.{(n >> 8) % 256}.{n % 256}"
    if session:
        response = client.post("/api/v1/session")
        assert response.status_code == 201, response.get_json()
    return client


@pytest.fixture
def person(app: Flask) -> Callable[[], Person]:
    """Make a new visitor with a session of their own."""
    return lambda: new_person(app)


@pytest.fixture
def add_sentences(db: psycopg.Connection) -> Callable[..., list[int]]:
    def add(n: int, language: str = "hi", prefix: str = "वाक्य") -> list[int]:
        ids = []
        for i in range(n):
            row = db.execute(
                "INSERT INTO dataset_rows (language_code, kind, text) VALUES (%s, 'sentence', %s)"
                " RETURNING id",
                (language, f"{prefix} {i} {uuid.uuid4().hex[:6]}"),
            ).fetchone()
            ids.append(row["id"])
        return ids

    return add


def upload(
    client: FlaskClient,
    item_id: Any,
    audio: bytes | None,
    *,
    key: str | None = None,
    filename: str = "take.webm",
) -> Any:
    """POST /api/v1/recordings the way the page does."""
    data: dict[str, Any] = {"item_id": str(item_id), "idempotency_key": key or uuid.uuid4().hex}
    if audio is not None:
        data["audio"] = (io.BytesIO(audio), filename)
    return client.post("/api/v1/recordings", data=data, content_type="multipart/form-data")


def record(client: FlaskClient, item_id: int, name: str = "hi_1.wav") -> str:
    """Upload a good clip and return the recording's public id."""
    response = upload(client, item_id, clip(name))
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["recording"]["id"])


def stored_objects(app: Flask) -> list[str]:
    return list(app.extensions["crowdsource.storage"].list("recordings/"))


def count_rows(db: psycopg.Connection, table: str) -> int:
    return int(db.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"])


def error_of(response: Any) -> tuple[int, str]:
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) - {"field"} == {"code", "message"}, body
    assert body["error"]["message"]
    return response.status_code, body["error"]["code"]


def give_track_record(db: psycopg.Connection, *people: Person, language: str = "hi") -> None:
    """Make these people validators in good standing who have agreed on a known-answer
    check (what a report needs to count toward hiding)."""
    for someone in people:
        db.execute(
            "INSERT INTO validator_standing (validator_id, language_code, state, checks_answered,"
            " checks_agreed) VALUES (%s, %s, 'counting', 1, 1)"
            " ON CONFLICT (validator_id, language_code, task) DO UPDATE"
            " SET state = 'counting', checks_answered = 1, checks_agreed = 1",
            (someone.contributor_id(), language),
        )
