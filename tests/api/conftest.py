"""API test helpers: people (each a client with their own cookie), sentences, audio files."""

from __future__ import annotations

import io
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


@pytest.fixture
def person(app: Flask) -> Callable[[], FlaskClient]:
    """Make a new visitor: a client with an empty cookie jar."""
    return app.test_client


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
