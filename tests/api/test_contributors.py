"""Identity and profile through the API: optional, checked, and snapshotted on contributions."""

from __future__ import annotations

import pytest

from tests.api.conftest import count_rows, error_of, new_person, record


def test_a_new_visitor_has_an_empty_profile_and_zero_totals(app, db) -> None:
    body = new_person(app, session=False).get("/api/v1/me").get_json()

    assert body["profile"].pop("leaderboard_opt_in") is False  # off until the person says yes
    assert set(body["profile"].values()) == {None}
    assert body["totals"]["recordings"] == 0 and body["totals"]["seconds_recorded"] == 0
    assert count_rows(db, "contributors") == 0  # reading the API creates nobody


def test_profile_changes_are_saved_as_made_and_can_be_cleared(person) -> None:
    visitor = person()
    visitor.put("/api/v1/me/profile", json={"display_name": "  Asha   K ", "region_code": "KA"})
    visitor.put("/api/v1/me/profile", json={"age_group": "thirties", "mother_tongue": "kn"})
    visitor.put("/api/v1/me/profile", json={"region_code": None})

    assert visitor.get("/api/v1/me").get_json()["profile"] == {
        "display_name": "Asha K", "age_group": "thirties", "gender": None,
        "mother_tongue": "kn", "region_code": None, "leaderboard_opt_in": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "expected", "field"),
    [
        ({"display_name": "asha@example.org"}, (422, "personal_data"), "display_name"),
        ({"display_name": "call +91 98450 12345"}, (422, "personal_data"), "display_name"),
        ({"display_name": "x" * 31}, (422, "invalid_value"), "display_name"),
        ({"age_group": "ancient"}, (422, "invalid_value"), "age_group"),
        ({"gender": 3}, (422, "invalid_value"), "gender"),
        ({"region_code": "XX"}, (422, "invalid_value"), "region_code"),
        ({"mother_tongue": "klingon"}, (422, "invalid_value"), "mother_tongue"),
        ({"email": "a@b.c"}, (422, "invalid_value"), "email"),
    ],
)
def test_bad_profile_values_name_their_field_and_write_nothing(
    person, db, changes, expected, field
) -> None:
    response = person().put("/api/v1/me/profile", json=changes)

    assert error_of(response) == expected
    assert response.get_json()["error"]["field"] == field
    profiles = db.execute("SELECT display_name, age_group, gender, mother_tongue, region_code"
                          " FROM contributors").fetchall()  # fmt: skip
    assert [set(row.values()) for row in profiles] == [{None}]  # the session's, untouched


def test_a_contribution_keeps_the_demographics_of_when_it_was_made(
    person, add_sentences, db
) -> None:
    items = add_sentences(2)
    speaker = person()
    speaker.put("/api/v1/me/profile", json={"gender": "female", "region_code": "TN"})
    record(speaker, items[0])
    speaker.put("/api/v1/me/profile", json={"gender": None, "region_code": "KL"})
    record(speaker, items[1], "hi_2.wav")

    rows = db.execute("SELECT gender, region_code FROM contributions ORDER BY id").fetchall()

    assert [(r["gender"], r["region_code"]) for r in rows] == [("female", "TN"), (None, "KL")]


def test_profile_options_offer_every_choice_with_prefer_not_to_say_as_null(person) -> None:
    options = person().get("/api/v1/profile/options").get_json()

    assert len(options["regions"]) == 36
    assert {"value": "thirties", "label": "30–39"} in options["age_groups"]
    assert options["languages"][-1]["code"] == "other"
