"""Export fixtures: a small history made through the real API (real uploads, so storage holds
real audio; real votes and reports), and a helper that runs the export on it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.export import ExportOptions, ExportResult, export_language, open_target
from app.settings import Settings
from tests.api.conftest import (  # noqa: F401 (fixtures)
    add_sentences,
    clip,
    give_track_record,
    person,
    upload,
)
from tests.storage.conftest import (  # noqa: F401 (fixtures)
    gcs_backend,
    gcs_emulator_url,
    moto_url,
    s3_backend,
)

SALT = b"export-test-salt-0123456789"
CLIPS = ["hi_1.wav", "hi_2.wav", "hi_1.webm", "hi_3.wav", "en_1.ogg", "hi_4.wav"]
PROFILES: dict[str, dict[str, Any]] = {
    "A": {"age_group": "twenties", "gender": "female", "mother_tongue": "hi", "region_code": "UP"},
    "B": {"age_group": "thirties", "gender": "male", "mother_tongue": "hi", "region_code": "BR"},
    "C": {"age_group": "twenties", "gender": "male", "mother_tongue": "bn", "region_code": "DL"},
    "D": {"gender": "female", "region_code": "MP"},
    "E": {"age_group": "forties", "gender": "male", "mother_tongue": "hi"},
    "F": {},  # prefers not to say anything
    "G": {"age_group": "fifties", "gender": "female", "mother_tongue": "other"},
    "H": {"age_group": "teens", "region_code": "RJ"},
}
# Who reads which sentence (indices), in this order, and what becomes of it:
# a = accepted (two Correct), r = rejected (two Incorrect), p = pending (one vote or none).
PLAN = [
    ("A", 0, "a"),
    ("B", 1, "a"),
    ("C", 2, "a"),
    ("D", 3, "a"),
    ("D", 4, "a"),
    ("E", 5, "a"),
    ("E", 6, "a"),
    ("E", 7, "a"),  # reported by three people: stays out of the splits
    ("F", 0, "a"),  # sentence 0 again: over --max-per-sentence 1
    ("F", 8, "a"),
    ("F", 9, "a"),
    ("F", 10, "r"),
    ("G", 1, "a"),
    ("G", 2, "a"),
    ("G", 3, "a"),
    ("G", 4, "a"),
    ("G", 5, "a"),
    ("G", 11, "p"),
    ("H", 6, "p"),
    ("H", 7, "r"),
]


@dataclass
class History:
    """What the fixture made: people, sentences and recordings, by name."""

    speakers: dict[str, FlaskClient]
    sentences: list[int]
    # (speaker, sentence id, status, recording id), in recording order
    recordings: list[tuple[str, int, str, str]] = field(default_factory=list)
    reported_recording: str = ""

    def ids_with_status(self, status: str) -> list[str]:
        return [rid for _, _, s, rid in self.recordings if s == status]


def make_history(
    new_person: Callable[[], FlaskClient],
    new_sentences: Callable[..., list[int]],
    *,
    language: str = "hi",
    plan: list[tuple[str, int, str]] = PLAN,
    profiles: dict[str, dict[str, Any]] = PROFILES,
) -> History:
    """Speakers with profiles record real clips through the API; two validators vote; three
    people report one recording, one person reports a sentence. The validators have a track
    record, so that their reports count toward hiding (app/reports/service.py)."""
    sentences = new_sentences(12, language=language)
    speakers = {name: new_person() for name in profiles}
    for name, profile in profiles.items():
        response = speakers[name].put("/api/v1/me/profile", json=profile)
        assert response.status_code == 200, response.get_json()
    validators = [new_person(), new_person(), new_person()]
    _give_track_record(validators, language)
    history = History(speakers, sentences)
    for n, (name, index, outcome) in enumerate(plan):
        response = upload(speakers[name], sentences[index], clip(CLIPS[n % len(CLIPS)]))
        assert response.status_code == 201, response.get_json()
        recording = response.get_json()["recording"]["id"]
        votes = {"a": ["accept", "accept"], "r": ["reject", "reject"], "p": ["accept"][: n % 2]}
        for validator, verdict in zip(validators, votes[outcome], strict=False):
            vote = validator.post(
                f"/api/v1/recordings/{recording}/votes", json={"verdict": verdict}
            )
            assert vote.status_code == 201, vote.get_json()
        status = {"a": "accepted", "r": "rejected", "p": "pending"}[outcome]
        history.recordings.append((name, sentences[index], status, recording))
    reported = [rid for _, item, _, rid in history.recordings if item == sentences[7]]
    if not reported:
        return history
    history.reported_recording = reported[0]
    for reporter in validators:
        body = {"target": "recording", "id": reported[0], "reason": "poor_audio"}
        assert reporter.post("/api/v1/reports", json=body).status_code == 201
    sentence_report = {"target": "sentence", "id": sentences[11], "reason": "grammar_or_spelling"}
    assert validators[0].post("/api/v1/reports", json=sentence_report).status_code == 201
    return history


def _give_track_record(people: list[Any], language: str) -> None:
    """give_track_record through the app's own database pool (make_history has no `db`)."""
    with people[0].application.extensions["crowdsource.db"].connection() as conn:
        give_track_record(conn, *people, language=language)


@pytest.fixture
def history(person, add_sentences) -> History:  # noqa: F811 (fixtures imported above)
    """The PLAN above, in Hindi: 8 speakers, 20 recordings (16 accepted, 2 rejected,
    2 pending), 3 reports on one accepted recording and 1 on a sentence."""
    return make_history(person, add_sentences)


def contributor_ids(db: psycopg.Connection[Any]) -> list[uuid.UUID]:
    """Every contributor id in the database (speakers, validators, reporters)."""
    return [row["id"] for row in db.execute("SELECT id FROM contributors")]


@pytest.fixture
def run_export(app: Flask, settings: Settings) -> Callable[..., ExportResult]:
    """Run the export of the app's database and storage to `out` (a folder or bucket URL)."""

    def run(out: Path | str, *, on_progress: Any = None, **options: Any) -> ExportResult:
        options.setdefault("language", "hi")
        options.setdefault("workers", 2)
        assert settings.database_url is not None
        return export_language(
            settings.database_url,
            app.extensions["crowdsource.storage"],
            open_target(str(out), settings),
            ExportOptions(**options),
            salt=SALT,
            on_progress=on_progress,
        )

    return run


def read_tsv(path: Path) -> list[dict[str, str]]:
    """A TSV of the export as dicts (header names as keys)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]
