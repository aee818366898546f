"""Badges in a real browser (issue #20): the fifth recording on the speak page shows the new
Bronze badge, My badges lists it, a weekly goal is set there, and the home page and the end
of a round show the week's progress; the fifth vote on the validate page shows its badge."""

from __future__ import annotations

import psycopg
import pytest
from playwright.sync_api import expect
from psycopg.rows import dict_row

from app.sentences.demo import load_demo_sentences_if_empty
from tests.browser.conftest import PHONE, LiveServer, NewPerson
from tests.browser.test_core_loop import check_five_clips, record_one

pytestmark = pytest.mark.slow


def test_the_fifth_recording_shows_the_new_badge(
    live_server: LiveServer, new_person: NewPerson, database_url: str, screenshots
) -> None:
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        assert load_demo_sentences_if_empty(conn) > 0
    base = live_server.url
    page = new_person(PHONE)
    page.goto(f"{base}/speak/hi")
    page.get_by_role("button", name="Skip", exact=True).click()
    toast = page.locator("#achievement-toast")

    record_one(page, 1, use_keyboard=False)
    expect(toast.get_by_role("status")).to_have_text("A new milestone: 1 day in a row!")
    toast.get_by_role("button", name="Close").click()
    expect(toast).to_be_hidden()
    for number in range(2, 5):
        record_one(page, number, use_keyboard=False)
    expect(page.locator("#progress-text")).to_have_text("Sentence 5 of 5")
    expect(toast).to_be_hidden()  # nothing new between the first and the fifth
    record_one(page, 5, use_keyboard=False)

    expect(toast).to_be_visible()
    expect(toast.get_by_role("status")).to_contain_text("New badge: Bronze for recording in Hindi!")
    expect(toast.get_by_role("status")).to_contain_text(
        "A new milestone: 5 contributions and checks in all!"
    )
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.get_by_role("link", name="Set a weekly goal")).to_be_visible()  # no goal yet
    page.screenshot(path=screenshots / "badge-toast-phone.png", full_page=True)
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        rows = conn.execute("SELECT kind, threshold FROM achievements ORDER BY kind, threshold")
        assert [(r["kind"], r["threshold"]) for r in rows] == [
            ("badge", 5), ("items", 5), ("streak", 1),
        ]  # fmt: skip

    # My badges: the Bronze, the next one, the streak; a goal set there.
    toast.get_by_role("link", name="See my badges").click()
    expect(page.get_by_role("heading", name="My badges", exact=True)).to_be_visible()
    line = page.locator("#badge-lines > li")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Recording in Hindi")
    expect(line).to_contain_text("Bronze")
    expect(line).to_contain_text("5 of 50 for Silver")
    expect(page.locator("#streak-current")).to_have_text("1")
    page.get_by_label("Speak").fill("0")
    page.get_by_role("button", name="Save goals").click()
    expect(page.locator("#goal-speak-error")).to_be_visible()  # checked before sending
    page.get_by_label("Speak").fill("10")
    page.get_by_role("button", name="Save goals").click()
    expect(page.locator("#goals-status")).to_have_text("Goals saved.")
    expect(page.locator("#my-week")).to_contain_text("Speak this week: 5 of 10")
    page.screenshot(path=screenshots / "badges-phone.png", full_page=True)

    # The home page shows the week to someone who has one.
    page.goto(f"{base}/")
    week = page.locator("#my-week")
    expect(week).to_be_visible()
    expect(week).to_contain_text("Streak: 1 day in a row")
    expect(week).to_contain_text("Speak this week: 5 of 10")

    # Someone else checks the five: their fifth vote earns the checking badge.
    checker = new_person(PHONE)
    checker.goto(f"{base}/validate/hi")
    check_five_clips(checker)
    status = checker.locator("#achievement-toast").get_by_role("status")
    expect(status).to_contain_text("New badge: Bronze for checking recordings in Hindi!")
