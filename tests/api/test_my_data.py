"""Your data, your call (issue #20): GET /api/v1/me/export gives back exactly what the
database holds of the person; DELETE /api/v1/me erases them (rows, objects in every storage
backend, a tombstone), and erasures come back after a restore brought the person back."""

from __future__ import annotations

import csv
import io
import json
import threading
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from flask import Flask

from app import create_app
from app.contributors.identity import COOKIE_NAME
from app.contributors.tombstones import tombstone_key, tombstoned_ids
from app.settings import Settings
from app.storage import Storage
from tests.api.conftest import Person, count_rows, error_of, new_person, record
from tests.storage.conftest import (  # noqa: F401 (fixtures)
    Backend,
    backend,
    gcs_backend,
    gcs_emulator_url,
    local_backend,
    moto_url,
    s3_backend,
)

CONFIRM = {"confirm": "delete my data"}


def vote(client: Person, recording: str, verdict: str = "accept") -> Any:
    return client.post(f"/api/v1/recordings/{recording}/votes", json={"verdict": verdict})


def world(app: Flask, db: psycopg.Connection, add_sentences: Any) -> dict[str, Any]:
    """Ana recorded two sentences and voted on Ben's recording; Ben recorded one and voted
    on Ana's first; Ana has a badge, a certificate, a goal and a display name."""
    items = add_sentences(3)
    ana, ben = new_person(app), new_person(app)
    mine = [record(ana, items[0]), record(ana, items[1], "hi_2.wav")]
    bens = record(ben, items[2])
    assert vote(ana, bens).status_code == 201
    assert vote(ben, mine[0], "reject").status_code == 201
    who = ana.contributor_id()
    db.execute(
        "UPDATE contributors SET display_name = 'Anabelle', leaderboard_opt_in = true"
        " WHERE id = %s",
        (who,),
    )
    db.execute(
        "INSERT INTO achievements (contributor_id, kind, threshold) VALUES (%s, 'items', 5)", (who,)
    )
    db.execute(
        "INSERT INTO certificates (code, contributor_id, name, languages, contributions,"
        " validations) VALUES ('CERT-ANA-0001', %s, 'Anabelle', '{hi}', 2, 1)",
        (who,),
    )
    db.execute(
        "INSERT INTO weekly_goals (contributor_id, task, target) VALUES (%s, 'speak', 10)", (who,)
    )
    return {"ana": ana, "ben": ben, "mine": mine, "bens": bens, "who": who}


def read_zip(response: Any) -> zipfile.ZipFile:
    assert response.status_code == 200, response.get_data()[:300]
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def test_the_export_holds_exactly_what_the_database_holds_of_the_person(
    app: Flask, db: psycopg.Connection, add_sentences: Any
) -> None:
    w = world(app, db, add_sentences)
    response = w["ana"].get("/api/v1/me/export")
    assert response.is_streamed
    archive = read_zip(response)
    storage: Storage = app.extensions["crowdsource.storage"]

    contributions = json.loads(archive.read("contributions.json"))
    rows = db.execute(
        "SELECT c.public_id, c.status, c.accept_count, c.reject_count, c.media_key, d.text"
        " FROM contributions c JOIN dataset_rows d ON d.id = c.item_id"
        " WHERE c.contributor_id = %s ORDER BY c.created_at, c.id",
        (w["who"],),
    ).fetchall()
    assert [c["id"] for c in contributions] == [str(r["public_id"]) for r in rows]
    assert sorted(c["id"] for c in contributions) == sorted(w["mine"])
    for got, row in zip(contributions, rows, strict=True):
        assert (got["status"], got["accept_count"], got["reject_count"], got["item_text"]) == (
            row["status"],
            row["accept_count"],
            row["reject_count"],
            row["text"],
        )
        assert got["task"] == "speak" and got["language"] == "hi"
        # Their audio, byte for byte as stored.
        assert archive.read(got["recording"]) == storage.get(row["media_key"])
    with archive.open("contributions.csv") as raw:
        table = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))
    assert [r["id"] for r in table] == [c["id"] for c in contributions]

    votes = json.loads(archive.read("votes.json"))
    sql_votes = db.execute(
        "SELECT c.public_id, v.verdict, v.role FROM validations v"
        " JOIN contributions c ON c.id = v.contribution_id WHERE v.validator_id = %s",
        (w["who"],),
    ).fetchall()
    assert [(v["contribution_id"], v["verdict"], v["role"]) for v in votes] == [
        (str(r["public_id"]), r["verdict"], r["role"]) for r in sql_votes
    ]
    assert votes and votes[0]["contribution_id"] == w["bens"]

    profile = json.loads(archive.read("profile.json"))
    assert profile["contributor_id"] == str(w["who"]) and profile["display_name"] == "Anabelle"
    assert profile["leaderboard_opt_in"] is True
    assert profile["weekly_goals"][0]["target"] == 10
    held = json.loads(archive.read("achievements.json"))
    sql_held = db.execute(
        "SELECT kind, threshold FROM achievements WHERE contributor_id = %s", (w["who"],)
    ).fetchall()
    assert sorted((a["kind"], a["threshold"]) for a in held) == sorted(
        (r["kind"], r["threshold"]) for r in sql_held
    )
    assert held
    assert json.loads(archive.read("certificates.json"))[0]["code"] == "CERT-ANA-0001"
    assert "recordings/" in archive.read("README.txt").decode()

    # Nothing of Ben's: his recording, his vote, his id.
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert w["bens"].encode() not in everything.replace(votes[0]["contribution_id"].encode(), b"")
    assert str(w["ben"].contributor_id()).encode() not in everything
    assert len([n for n in archive.namelist() if n.startswith("recordings/")]) == 2


def test_the_export_needs_a_session(app: Flask) -> None:
    response = new_person(app, session=False).get("/api/v1/me/export")
    assert error_of(response) == (401, "no_session")


def test_an_export_over_the_size_bound_is_refused_before_anything_is_sent(
    settings: Settings, database_url: str, db: psycopg.Connection, add_sentences: Any
) -> None:
    small = create_app(
        replace(settings, my_data_export_max_bytes=1024 * 1024), database_url=database_url
    )
    w = world(small, db, add_sentences)
    db.execute(
        "UPDATE contributions SET size_bytes = 2000000 WHERE contributor_id = %s", (w["who"],)
    )
    response = w["ana"].get("/api/v1/me/export")
    assert error_of(response) == (413, "export_too_large")
    small.extensions["crowdsource.db"].close()


def test_the_export_is_rate_limited(app: Flask) -> None:
    ana = new_person(app)
    codes = [ana.get("/api/v1/me/export").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.parametrize(
    "body", [None, {}, {"confirm": "yes"}, {"confirm": "DELETE MY DATA "}, {"confirm": True}]
)
def test_erasing_without_the_confirmation_removes_nothing(
    app: Flask, db: psycopg.Connection, add_sentences: Any, body: Any
) -> None:
    w = world(app, db, add_sentences)
    before = {t: count_rows(db, t) for t in ("contributors", "contributions", "validations")}
    objects = sorted(app.extensions["crowdsource.storage"].list(""))
    kwargs = {} if body is None else {"json": body}
    response = w["ana"].delete("/api/v1/me", **kwargs)
    assert error_of(response) == (422, "confirmation_required")
    assert {t: count_rows(db, t) for t in before} == before
    assert sorted(app.extensions["crowdsource.storage"].list("")) == objects
    assert count_rows(db, "erasures") == 0


@pytest.fixture
def backed_app(
    settings: Settings,
    database_url: str,
    backend: Backend,  # noqa: F811
) -> Iterator[tuple[Flask, Storage, Backend]]:
    """The app on a fresh bucket of each backend kind (local, moto S3, GCS emulator)."""
    storage = backend.fresh()
    app = create_app(settings, database_url=database_url, storage=storage)
    yield app, storage, backend
    app.extensions["crowdsource.db"].close()


def everything(kind: Backend, storage: Storage) -> set[str]:
    """Every object of the bucket (for a local folder: every file, as a key)."""
    found = kind.everything_stored(storage)
    if kind.name != "local":
        return found
    return {path.split("/", 2)[2] for path in found if path.count("/") >= 2}


def test_erasing_removes_rows_and_objects_keeps_votes_anonymous_and_clears_the_cookie(
    backed_app: tuple[Flask, Storage, Backend], db: psycopg.Connection, add_sentences: Any
) -> None:
    app, storage, kind = backed_app
    w = world(app, db, add_sentences)
    keys = [
        r["media_key"]
        for r in db.execute(
            "SELECT media_key FROM contributions WHERE contributor_id = %s", (w["who"],)
        )
    ]
    assert set(keys) <= everything(kind, storage)
    # Awarded at her writes (streak and items milestones) and the badge the world gave her.
    achievements = db.execute(
        "SELECT count(*) AS n FROM achievements WHERE contributor_id = %s", (w["who"],)
    ).fetchone()["n"]
    assert achievements >= 1

    response = w["ana"].delete("/api/v1/me", json=CONFIRM)

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "erased": True,
        "already_erased": False,
        "removed": {
            "recordings": 2,
            "contributions": 0,
            "votes_anonymised": 1,
            "reports_anonymised": 0,
            "achievements": achievements,
            "certificates": 1,
            "objects_deleted": 2,
            "objects_failed": 0,
        },
    }
    cleared = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE_NAME)]
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared[0]
    stored = everything(kind, storage)
    assert not set(keys) & stored and tombstone_key(w["who"]) in stored
    audio = [s for s in stored if s.startswith("recordings/") and s.endswith(".wav")]
    assert len(audio) == 1 and not any(k.rsplit("/", 1)[1] in s for k in keys for s in stored)
    assert tombstoned_ids(storage) == {w["who"]}
    # Rows: gone; the erasure recorded; Ben's recording keeps Ana's vote, under another id.
    assert (
        db.execute("SELECT count(*) AS n FROM contributors WHERE id = %s", (w["who"],)).fetchone()[
            "n"
        ]
        == 0
    )
    assert db.execute("SELECT requested_by FROM erasures").fetchone()["requested_by"] == "volunteer"
    bens = db.execute(
        "SELECT c.accept_count, v.validator_id FROM contributions c"
        " JOIN validations v ON v.contribution_id = c.id WHERE c.public_id = %s",
        (w["bens"],),
    ).fetchall()
    assert [b["accept_count"] for b in bens] == [1] and bens[0]["validator_id"] != w["who"]
    assert count_rows(db, "contributions") == 1
    assert (
        db.execute(
            "SELECT count(*) AS n FROM contributors WHERE display_name IS NOT NULL"
        ).fetchone()["n"]
        == 0
    )


def test_a_retry_of_the_erasure_is_harmless_and_the_old_cookie_never_comes_back(
    app: Flask, db: psycopg.Connection, add_sentences: Any
) -> None:
    w = world(app, db, add_sentences)
    cookie = w["ana"].get_cookie(COOKIE_NAME).value
    assert w["ana"].delete("/api/v1/me", json=CONFIRM).status_code == 200
    after = {t: count_rows(db, t) for t in ("contributors", "contributions", "validations")}

    w["ana"].set_cookie(COOKIE_NAME, cookie)  # the same request again (a retry, another tab)
    again = w["ana"].delete("/api/v1/me", json=CONFIRM)
    assert again.status_code == 200 and again.get_json()["already_erased"] is True
    assert again.get_json()["removed"]["recordings"] == 2
    # A write with the old cookie does not bring the person back.
    w["ana"].set_cookie(COOKIE_NAME, cookie)
    refused = w["ana"].put("/api/v1/me/profile", json={"display_name": "Back"})
    assert error_of(refused) == (401, "no_session")
    assert w["ana"].get_cookie(COOKIE_NAME) is None  # cleared: the page's next call starts afresh
    assert {t: count_rows(db, t) for t in after} == after
    assert count_rows(db, "erasures") == 1


def test_a_vote_racing_the_erasure_is_either_anonymised_or_refused(
    app: Flask, db: psycopg.Connection, add_sentences: Any
) -> None:
    """Ana votes on Ben's new clip and Ben on Ana's second while Ana is erased."""
    w = world(app, db, add_sentences)
    (item,) = add_sentences(1)
    newer = record(w["ben"], item)
    start = threading.Barrier(3)
    results: dict[str, int] = {}

    def run(name: str, call: Any) -> None:
        start.wait()
        results[name] = call().status_code

    calls = {
        "erase": lambda: w["ana"].delete("/api/v1/me", json=CONFIRM),
        "ana_votes": lambda: vote(w["ana"], newer),
        "ben_votes": lambda: vote(w["ben"], w["mine"][1]),
    }
    threads = [threading.Thread(target=run, args=pair) for pair in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert results["erase"] == 200
    assert results["ana_votes"] in (201, 401) and results["ben_votes"] in (201, 404, 409)
    assert (
        db.execute("SELECT count(*) AS n FROM contributors WHERE id = %s", (w["who"],)).fetchone()[
            "n"
        ]
        == 0
    )
    assert (
        db.execute(
            "SELECT count(*) AS n FROM contributions c WHERE c.public_id = ANY(%s)",
            ([uuid.UUID(m) for m in w["mine"]],),
        ).fetchone()["n"]
        == 0
    )
    counted = db.execute(
        "SELECT accept_count, (SELECT count(*) FROM validations v WHERE"
        " v.contribution_id = c.id) AS n FROM contributions c WHERE public_id"
        " = %s",
        (newer,),
    ).fetchone()
    assert counted["n"] == (1 if results["ana_votes"] == 201 else 0) == counted["accept_count"]


def test_two_erasures_at_once_erase_once(
    app: Flask, db: psycopg.Connection, add_sentences: Any
) -> None:
    """Two tabs confirm at the same moment: one erasure, both answered 200."""
    w = world(app, db, add_sentences)
    cookie = w["ana"].get_cookie(COOKIE_NAME).value
    other_tab = new_person(app, session=False)
    other_tab.set_cookie(COOKIE_NAME, cookie)
    start = threading.Barrier(2)
    answers: list[Any] = []

    def erase(client: Person) -> None:
        start.wait()
        answers.append(client.delete("/api/v1/me", json=CONFIRM))

    threads = [threading.Thread(target=erase, args=(c,)) for c in (w["ana"], other_tab)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(a.status_code for a in answers) == [200, 200]
    assert sorted(a.get_json()["already_erased"] for a in answers) == [False, True]
    assert count_rows(db, "erasures") == 1 and count_rows(db, "contributions") == 1
    assert len(list(app.extensions["crowdsource.storage"].list("recordings/"))) == 1  # Ben's
