"""The 5-speaker rule (issue #20): demographics.json never publishes a region, age group or
gender (per language or overall) of fewer than 5 speakers; such groups are folded into one
entry, itself left out when it holds fewer than 5 people."""

from __future__ import annotations

import json
import uuid

import psycopg

from app.dashboard.documents import MINIMUM_SPEAKERS, SMALL_GROUPS
from tests.dashboard.conftest import published


def speakers(
    db: psycopg.Connection, n: int, *, language: str = "hi", region: str | None = None,
    gender: str | None = None, age: str | None = "twenties", recordings: int = 1,
) -> list[uuid.UUID]:  # fmt: skip
    """`n` new people, each with `recordings` recordings of 2 s made with these answers."""
    people = []
    for _ in range(n):
        who = uuid.uuid4()
        db.execute("INSERT INTO contributors (id) VALUES (%s)", (who,))
        for _ in range(recordings):
            item = db.execute(
                "INSERT INTO dataset_rows (language_code, kind, text) VALUES (%s, 'sentence', %s)"
                " RETURNING id",
                (language, uuid.uuid4().hex),
            ).fetchone()
            db.execute(
                """INSERT INTO contributions
                       (public_id, contributor_id, item_id, language_code, kind,
                        idempotency_key, media_key, duration_ms, region_code, gender, age_group)
                   VALUES (%s, %s, %s, %s, 'recording', %s, 'x/a.webm', 2000, %s, %s, %s)""",
                (uuid.uuid4(), who, item["id"], language, uuid.uuid4().hex, region, gender, age),
            )  # fmt: skip
        people.append(who)
    return people


def test_groups_of_four_are_folded_and_groups_of_five_shown(app, db, refresh) -> None:
    assert MINIMUM_SPEAKERS == 5
    speakers(db, 5, region="KA", gender="female")
    speakers(db, 4, region="TN", gender="male")
    speakers(db, 3, region="DL", gender="transgender", recordings=2)
    refresh()
    hindi = published(app)["demographics"]["languages"]["hi"]

    assert hindi["by_region"] == [
        {"key": "KA", "label": "Karnataka", "speakers": 5, "hours_recorded": 0.003},
        {"key": SMALL_GROUPS, "label": "Groups of fewer than 5 speakers each", "groups": 2,
         "speakers": 7, "hours_recorded": 0.006},
    ]  # fmt: skip
    genders = {entry["key"]: entry["speakers"] for entry in hindi["by_gender"]}
    assert genders == {"female": 5, SMALL_GROUPS: 7}
    assert hindi["by_age_group"] == [
        {"key": "twenties", "label": "20–29", "speakers": 12, "hours_recorded": 0.008}
    ]
    # The same rule for all languages together.
    everything = published(app)["demographics"]["all"]
    assert {entry["key"] for entry in everything["by_region"]} == {"KA", SMALL_GROUPS}
    text = json.dumps(published(app)["demographics"])
    assert "Tamil Nadu" not in text and "Delhi" not in text and "transgender" not in text


def test_small_groups_of_fewer_than_five_people_together_are_left_out(app, db, refresh) -> None:
    speakers(db, 6, region="KA", gender="female")
    speakers(db, 4, region="TN", gender="female", recordings=3)  # one small group alone
    # In English, everyone is in small groups, and "Not given" is a group like the others.
    speakers(db, 2, language="en", region="KA", age=None)
    speakers(db, 2, language="en", region="MH", age=None)
    refresh()
    demographics = published(app)["demographics"]
    assert demographics["minimum_speakers"] == 5

    hindi = demographics["languages"]["hi"]
    assert [entry["key"] for entry in hindi["by_region"]] == ["KA"]
    assert hindi["by_gender"] == [
        {"key": "female", "label": "Female", "speakers": 10, "hours_recorded": 0.01}
    ]
    english = demographics["languages"]["en"]
    assert english == {"by_region": [], "by_age_group": [], "by_gender": []}
    # Overall: Karnataka has 8 speakers, Tamil Nadu's 4 and Maharashtra's 2 fold to 6.
    regions = {entry["key"]: entry["speakers"] for entry in demographics["all"]["by_region"]}
    assert regions == {"KA": 8, SMALL_GROUPS: 6}


def test_a_person_in_several_small_groups_counts_once_in_the_fold(app, db, refresh) -> None:
    """Someone who moved (a recording from each of two states) is one person of the fold:
    4 distinct people in two small groups are not published as 5."""
    movers = speakers(db, 1, region="TN")
    speakers(db, 5, region="KA")
    speakers(db, 2, region="TN")
    speakers(db, 1, region="DL")
    for who in movers:  # the same person again, from Delhi
        item = db.execute(
            "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', 'x')"
            " RETURNING id"
        ).fetchone()
        db.execute(
            """INSERT INTO contributions (public_id, contributor_id, item_id, language_code,
                   kind, idempotency_key, media_key, duration_ms, region_code)
               VALUES (%s, %s, %s, 'hi', 'recording', %s, 'x/a.webm', 2000, 'DL')""",
            (uuid.uuid4(), who, item["id"], uuid.uuid4().hex),
        )
    refresh()
    by_region = published(app)["demographics"]["languages"]["hi"]["by_region"]
    assert [entry["key"] for entry in by_region] == ["KA"]  # TN 3 + DL 2 = 4 people, not 5
