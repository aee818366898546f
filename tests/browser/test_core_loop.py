"""The contributor loop in a real browser: one person records five Hindi sentences with the
(fake) microphone, two others listen to each recording and accept it, and the database,
the storage and the pages all agree on the outcome."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import av
import psycopg
import pytest
from playwright.sync_api import Page, expect
from psycopg.rows import dict_row

from app.sentences.demo import load_demo_sentences_if_empty
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, NewPerson

pytestmark = pytest.mark.slow

TAKE_MS = 1800  # how long each take is; the fake microphone reads Hindi (see conftest.py)


def record_one(page: Page, number: int, *, use_keyboard: bool) -> None:
    """Record, stop and submit the sentence on screen, by buttons or by shortcuts."""
    expect(page.locator("#progress-text")).to_have_text(f"Sentence {number} of 5")
    record = page.get_by_role("button", name=re.compile("^(Record|Re-record|Stop)$"))
    if use_keyboard:
        page.keyboard.press("r")
    else:
        record.click()
    expect(record).to_have_text("Stop")  # the microphone is on
    page.wait_for_timeout(TAKE_MS)
    if use_keyboard:
        page.keyboard.press("r")
    else:
        record.click()
    submit = page.get_by_role("button", name="Submit")
    expect(submit).to_be_enabled()
    if use_keyboard:
        page.keyboard.press("Enter")
    else:
        submit.click()


def record_one_with_screenshot(page: Page, screenshots: Path) -> None:
    """Sentence 1 step by step, with a phone screenshot of a finished take before submitting."""
    expect(page.locator("#progress-text")).to_have_text("Sentence 1 of 5")
    record = page.get_by_role("button", name="Record")
    record.click()
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    page.screenshot(path=screenshots / "speak-recording-phone.png", full_page=True)
    page.wait_for_timeout(TAKE_MS)
    stop.click()
    submit = page.get_by_role("button", name="Submit")
    expect(submit).to_be_enabled()
    page.screenshot(path=screenshots / "speak-phone.png", full_page=True)
    submit.click()


def check_five_clips(page: Page) -> None:
    """On the validate page: listen to each of five clips to the end and answer Correct."""
    correct = page.get_by_role("button", name="Correct", exact=True)
    for number in range(1, 6):
        expect(page.locator("#progress-text")).to_have_text(f"Recording {number} of 5")
        expect(correct).to_be_disabled()  # not before the clip was heard to the end
        expect(page.locator("#practice-note")).to_be_hidden()  # an ordinary clip
        page.get_by_role("button", name="Play").click()
        expect(correct).to_be_enabled()
        correct.click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.locator("#session-count")).to_have_text("5")


def test_five_recordings_checked_by_two_people_are_accepted(
    live_server: LiveServer,
    new_person: NewPerson,
    database_url: str,
    screenshots: Path,
) -> None:
    started = time.monotonic()
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        assert load_demo_sentences_if_empty(conn) > 0
    base = live_server.url

    # A first look on a desktop screen (only reads: this person records nothing).
    viewer = new_person(DESKTOP)
    viewer.goto(f"{base}/speak/hi")
    viewer.get_by_role("button", name="Skip", exact=True).click()
    expect(viewer.locator("#sentence")).not_to_be_empty()
    viewer.screenshot(path=screenshots / "speak-desktop.png", full_page=True)

    # Person A, on a phone: skips the profile, records five sentences.
    a = new_person(PHONE)
    a.goto(f"{base}/speak/hi")
    expect(a.get_by_role("heading", name=re.compile("about you"))).to_be_visible()
    a.screenshot(path=screenshots / "speak-profile-phone.png", full_page=True)
    a.get_by_role("button", name="Skip", exact=True).click()
    for number in range(1, 6):
        if number == 1:
            record_one_with_screenshot(a, screenshots)
        else:
            record_one(a, number, use_keyboard=number % 2 == 0)
    expect(a.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(a.locator("#session-count")).to_have_text("5")
    expect(a.locator("#total-recordings")).to_have_text("5")
    a.screenshot(path=screenshots / "speak-done-phone.png", full_page=True)

    # The profile step is not offered again once skipped.
    a.goto(f"{base}/speak/hi")
    expect(a.locator("#record-step")).to_be_visible()
    expect(a.locator("#profile-step")).to_be_hidden()

    # Persons B (desktop) and C (phone) each hear all five and say Correct.
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        person = new_person(viewport)
        person.goto(f"{base}/validate/hi")
        expect(person.get_by_role("button", name="Play")).to_be_visible()
        person.screenshot(path=screenshots / f"validate-{name}.png", full_page=True)
        check_five_clips(person)

    # The database: five recordings, each accepted by two votes.
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT accept_count, reject_count, status, media_key FROM contributions"
        ).fetchall()
    assert len(rows) == 5
    assert {(accepts, rejects, status) for accepts, rejects, status, _ in rows} == {
        (2, 0, "accepted")
    }

    # The storage: five objects, each a decodable recording.
    storage = live_server.app.extensions["crowdsource.storage"]
    keys = list(storage.list("recordings/"))
    assert sorted(keys) == sorted(key for *_, key in rows)
    for key in keys:
        with av.open(io.BytesIO(storage.get(key)), mode="r") as container:
            frames = list(container.decode(audio=0))
        assert sum(frame.samples for frame in frames) > 0, key

    # Person A's own page shows all five accepted.
    a.goto(f"{base}/me/contributions")
    expect(a.locator(".contribution")).to_have_count(5)
    expect(a.locator(".contribution .badge", has_text="Accepted")).to_have_count(5)
    expect(a.locator("#total-accepted")).to_have_text("5")
    a.screenshot(path=screenshots / "contributions-phone.png", full_page=True)

    assert time.monotonic() - started < 90
