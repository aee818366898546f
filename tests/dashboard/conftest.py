"""Dashboard test helpers: a contributor history made through the API, and the published files."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from flask import Flask

from app.dashboard.publish import MANIFEST_KEY
from app.dashboard.refresh import refresh_dashboard
from tests.api.conftest import add_sentences, person, record  # noqa: F401  (fixtures)

CLIPS = [
    "hi_1.wav",
    "hi_2.wav",
    "hi_3.wav",
    "hi_4.wav",
    "en_1.wav",
    "en_2.wav",
    "upstream_test.wav",
]


def published(app: Flask) -> dict[str, Any]:
    """The manifest and every file it names, read from the app's storage."""
    storage = app.extensions["crowdsource.storage"]
    manifest = json.loads(storage.get(MANIFEST_KEY))
    return {name: json.loads(storage.get(key)) for name, key in manifest["files"].items()} | {
        "manifest": manifest
    }


@pytest.fixture
def refresh(app: Flask, database_url: str) -> Callable[[], Any]:
    """Run the real refresh against the test database and the app's storage."""
    return lambda **kw: refresh_dashboard(database_url, app.extensions["crowdsource.storage"], **kw)


@pytest.fixture
def history(person, add_sentences, db: psycopg.Connection) -> dict[str, Any]:  # noqa: F811
    """Six named (opted in to the leaderboards) and two anonymous speakers in Hindi and
    English, votes by four validators, some recordings backdated over three days."""
    hindi = add_sentences(14, "hi")
    english = add_sentences(6, "en", prefix="Sentence")
    regions = ["KA", "TN", "KA", None, "DL", "MH", None, "KA"]
    genders = ["female", "male", None, "female", "transgender", "male", None, "female"]
    speakers = []
    for i in range(8):
        speaker = person()
        profile = {"region_code": regions[i], "gender": genders[i], "age_group": "twenties"}
        if i < 6:
            profile["display_name"] = f"Speaker {i}"
            profile["leaderboard_opt_in"] = True
        assert speaker.put("/api/v1/me/profile", json=profile).status_code == 200
        speakers.append(speaker)
    recordings = []
    for n, item in enumerate(hindi):
        recordings.append(record(speakers[n % 8], item, CLIPS[n % 4]))
    for n, item in enumerate(english):
        recordings.append(record(speakers[n % 3], item, CLIPS[4 + n % 3]))
    validators = [person() for _ in range(4)]
    for n, recording in enumerate(recordings):
        verdicts = ["accept", "accept"] if n % 4 else ["reject", "reject"]
        if n % 5 == 0:
            verdicts = ["accept"]  # stays pending
        for validator, verdict in zip(validators, verdicts, strict=False):
            response = validator.post(
                f"/api/v1/recordings/{recording}/votes", json={"verdict": verdict}
            )
            assert response.status_code == 201
    # Spread the history over three days (as if it had happened then).
    db.execute(
        """UPDATE contributions
              SET created_at = created_at - (id % 3) * interval '1 day',
                  decided_at = decided_at - (id % 3) * interval '1 day' + interval '1 hour'"""
    )
    return {"recordings": recordings}
