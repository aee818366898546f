"""A new validator's first clips in a language with known answers are practice: the validate
page marks them "Practice", and after each vote shows and announces the expected answer for a
moment before the next clip. Checked with the shipped trust settings (the warm-up on)."""

from __future__ import annotations

import io
import wave
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Route, expect

from app.settings import Settings
from loadtests.clips import loudest_window
from tests.api.known_answers import seed_known_answers
from tests.browser.conftest import PHONE, LiveServer, NewPerson
from tests.conftest import SAMPLE_AUDIO

pytestmark = pytest.mark.slow

WORDS = {"accept": "Correct", "reject": "Incorrect"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shipped warm-up and checks (tests/conftest.py turns them off for other tests)."""
    return replace(
        settings,
        warmup_clips=Settings.warmup_clips,
        known_answer_percent=Settings.known_answer_percent,
    )


def seed_playable_known_answers(live_server: LiveServer, db: psycopg.Connection) -> dict[str, str]:
    """Known-answer clips (tests/api/known_answers.py) with real speech behind them, as long
    as the database says they are. Returns {sentence: known answer}."""
    answers = seed_known_answers(db)
    speech = loudest_window((SAMPLE_AUDIO / "hi_1.wav").read_bytes())
    assert speech is not None
    with wave.open(io.BytesIO(speech)) as clip:
        duration_ms = round(clip.getnframes() * 1000 / clip.getframerate())
    storage = live_server.app.extensions["crowdsource.storage"]
    by_sentence = {}
    for row in db.execute(
        "UPDATE contributions c SET duration_ms = %s, media_type = 'audio/wav'"
        "  FROM dataset_rows d WHERE d.id = c.item_id AND c.public_id = ANY(%s::uuid[])"
        " RETURNING c.public_id::text AS id, c.media_key, d.text",
        (duration_ms, list(answers)),
    ):
        storage.put(row["media_key"], speech, content_type="audio/wav")
        by_sentence[row["text"]] = answers[row["id"]]
    return by_sentence


def test_practice_clips_are_marked_and_their_expected_answer_is_shown_after_the_vote(
    live_server: LiveServer, new_person: NewPerson, db: psycopg.Connection, screenshots: Path
) -> None:
    known = seed_playable_known_answers(live_server, db)
    page = new_person(PHONE)
    page.goto(f"{live_server.url}/validate/hi")

    correct = page.get_by_role("button", name="Correct", exact=True)
    note, result = page.locator("#practice-note"), page.locator("#practice-result")
    for number in (1, 2):
        expect(page.locator("#progress-text")).to_have_text(f"Recording {number} of 5")
        expect(note).to_be_visible()
        expect(note).to_contain_text("Practice")
        expect(result).to_be_hidden()
        expected = known[page.locator("#sentence").inner_text()]
        page.get_by_role("button", name="Play").click()
        expect(correct).to_be_enabled()
        if number == 1:
            page.screenshot(path=screenshots / "validate-practice-phone.png", full_page=True)
        correct.click()

        agreed = "You agreed." if expected == "accept" else "Your answer was different."
        told = f"Practice: the expected answer was {WORDS[expected]}. {agreed}"
        expect(result).to_have_text(told)
        expect(page.locator("#status")).to_have_text(told)  # announced (a polite live region)
        expect(correct).to_be_disabled()  # the answer stays up for a moment
        if number == 1:
            page.screenshot(path=screenshots / "validate-practice-answer-phone.png", full_page=True)
    expect(page.locator("#progress-text")).to_have_text("Recording 3 of 5")

    votes = db.execute("SELECT role, counted FROM validations").fetchall()
    assert [(v["role"], v["counted"]) for v in votes] == [("practice", False)] * 2
    standing = db.execute("SELECT state, practice_answered FROM validator_standing").fetchall()
    assert [(s["state"], s["practice_answered"]) for s in standing] == [("warmup", 2)]


def test_a_page_view_that_brought_no_session_gets_one_before_its_clips(
    live_server: LiveServer, new_person: NewPerson, db: psycopg.Connection
) -> None:
    """Past the address's new-session limit a page shows without a session (here: its
    Set-Cookie is taken away). The clips' answer says so; the page asks for a session and for
    clips again, so the clips are handed to it and its vote is taken."""
    known = seed_playable_known_answers(live_server, db)
    db.execute(  # ordinary pending clips: no warm-up, the vote counts
        "UPDATE contributions SET known_answer = NULL, known_answer_source = NULL,"
        " status = 'pending', decided_at = NULL"
    )
    page = new_person(PHONE)

    def without_cookie(route: Route) -> None:
        response = route.fetch()
        page.context.clear_cookies()  # the fetch shares the browser's cookie jar
        headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
        route.fulfill(response=response, headers=headers)

    # the page view only: the service worker fetches the page again later to keep it
    page.route(f"{live_server.url}/validate/hi", without_cookie, times=1)
    page.goto(f"{live_server.url}/validate/hi")

    correct = page.get_by_role("button", name="Correct", exact=True)
    expect(page.locator("#sentence")).not_to_be_empty()
    assert page.locator("#sentence").inner_text() in known
    page.get_by_role("button", name="Play").click()
    expect(correct).to_be_enabled()
    with page.expect_response(lambda response: response.url.endswith("/votes")) as voted:
        correct.click()
        # the next clip at once, the vote on its way
        expect(page.locator("#progress-text")).to_have_text("Recording 2 of 5")
    assert voted.value.status == 201
    expect(page.locator("#alert")).to_be_hidden()

    votes = db.execute("SELECT role, counted FROM validations").fetchall()
    assert [(v["role"], v["counted"]) for v in votes] == [("vote", True)]
