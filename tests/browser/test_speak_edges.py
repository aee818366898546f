"""What a volunteer sees when things do not go straight: the server refuses a take, the
microphone is blocked, a language has nothing to do, the profile has a mistake in it."""

from __future__ import annotations

import re
import uuid

import psycopg
import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import LiveServer, NewPerson

pytestmark = pytest.mark.slow

PROFILE_SKIPPED = "localStorage.setItem('crowdsource.profile-step', 'skipped')"


def add_hindi_sentences(database_url: str, count: int) -> None:
    with psycopg.connect(database_url) as conn:
        for n in range(count):
            conn.execute(
                "INSERT INTO dataset_rows (language_code, kind, text)"
                " VALUES ('hi', 'sentence', %s)",
                (f"यह परीक्षा का वाक्य {n} है {uuid.uuid4().hex[:4]}",),
            )


def saved_profile(response: Response) -> bool:
    return response.url.endswith("/api/v1/me/profile") and response.status == 200


def take(page: Page, milliseconds: int) -> None:
    page.get_by_role("button", name=re.compile("^(Record|Re-record)$")).click()
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    page.wait_for_timeout(milliseconds)
    stop.click()
    expect(page.get_by_role("button", name="Re-record")).to_be_visible()


def test_a_refused_take_shows_the_reason_and_can_be_recorded_again(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    add_hindi_sentences(database_url, 2)
    page = new_person(init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")

    take(page, 400)  # shorter than the server's minimum of one second
    # The page's own check says so before sending (test_recording_feedback.py); the volunteer
    # sends it anyway, and the server refuses it.
    expect(page.get_by_role("alert")).to_contain_text("at least")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/recordings")) as refused:
        page.get_by_role("button", name="Submit anyway").click()
    assert refused.value.status == 422

    expect(page.get_by_role("alert")).to_contain_text("Please record the sentence again.")
    expect(page.get_by_role("alert")).to_contain_text("at least")
    expect(page.get_by_role("button", name="Submit", exact=True)).to_be_hidden()
    expect(page.get_by_role("button", name="Submit anyway")).to_be_hidden()
    expect(page.get_by_role("button", name="Record")).to_be_enabled()
    expect(page.locator("#progress-text")).to_have_text("Sentence 1 of 5")

    take(page, 1500)
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#progress-text")).to_have_text("Sentence 2 of 5")

    page.goto(f"{live_server.url}/me/contributions")
    expect(page.locator(".contribution")).to_have_count(2)
    refused = page.locator(".contribution", has=page.locator(".badge", has_text="Refused"))
    expect(refused.locator(".reason")).to_contain_text("at least")
    expect(page.locator("#total-refused")).to_have_text("1")
    expect(page.locator("#total-pending")).to_have_text("1")


def test_a_blocked_microphone_is_explained(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    add_hindi_sentences(database_url, 1)
    deny = (
        "navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));"
    )
    page = new_person(init_scripts=(PROFILE_SKIPPED, deny))
    page.goto(f"{live_server.url}/speak/hi")

    page.get_by_role("button", name="Record").click()

    expect(page.get_by_role("alert")).to_contain_text("Microphone access is blocked")
    expect(page.get_by_role("button", name="Record")).to_be_enabled()


def test_a_language_with_nothing_to_do_says_so_and_points_to_what_is_open(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    add_hindi_sentences(database_url, 1)  # before the first page: the language list is cached
    page = new_person(init_scripts=(PROFILE_SKIPPED,))

    # Tamil has neither sentences nor recordings: no link from one empty page to the other.
    page.goto(f"{live_server.url}/speak/ta")
    expect(page.get_by_role("heading", name="No sentences left to record")).to_be_visible()
    expect(page.get_by_role("link", name="Check Tamil recordings")).to_have_count(0)
    expect(page.get_by_role("link", name="See what is open")).to_have_attribute("href", "/")
    page.goto(f"{live_server.url}/validate/ta")
    expect(page.get_by_role("heading", name="Nothing to check right now")).to_be_visible()
    expect(page.get_by_role("link", name="Record Tamil sentences")).to_have_count(0)
    expect(page.get_by_role("link", name="Offer to help")).to_have_attribute(
        "href", "/feedback?from=/validate/ta"
    )

    # Hindi has sentences but nothing recorded: the validate page points to recording them.
    page.goto(f"{live_server.url}/validate/hi")
    expect(page.get_by_role("heading", name="Nothing to check right now")).to_be_visible()
    expect(page.get_by_role("link", name="Record Hindi sentences")).to_have_attribute(
        "href", "/speak/hi"
    )


def test_profile_mistakes_are_shown_at_the_field_and_saved_profiles_are_not_asked_again(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    add_hindi_sentences(database_url, 1)
    page = new_person()
    page.goto(f"{live_server.url}/profile")
    expect(page.locator("#age_group option")).not_to_have_count(1)  # choices have arrived

    page.get_by_label("Display name").fill("call me on 98765 43210")
    page.get_by_label("Age group").focus()  # leaving the field saves it
    expect(page.locator("#display_name-error")).to_contain_text("phone number")
    expect(page.get_by_label("Display name")).to_have_attribute("aria-invalid", "true")

    with page.expect_response(saved_profile):
        page.get_by_label("Display name").fill("Asha")
        page.keyboard.press("Tab")
    expect(page.locator("#display_name-error")).to_be_hidden()
    with page.expect_response(saved_profile):
        page.get_by_label("Age group").select_option("thirties")
    expect(page.get_by_role("status")).to_have_text("Saved.")

    page.reload()
    expect(page.get_by_label("Display name")).to_have_value("Asha")
    expect(page.get_by_label("Age group")).to_have_value("thirties")

    page.goto(f"{live_server.url}/speak/hi")
    expect(page.locator("#record-step")).to_be_visible()
    expect(page.locator("#profile-step")).to_be_hidden()


def test_reporting_a_sentence_needs_a_note_for_other_and_moves_on(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    add_hindi_sentences(database_url, 2)
    page = new_person(init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")
    first = page.locator("#sentence").inner_text()

    page.get_by_role("button", name="Report sentence").click()
    page.get_by_role("radio", name="Something else").check()
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("#report-error")).to_contain_text("tell us what is wrong")
    page.get_by_role("textbox", name="Tell us more").fill("The last word is misspelt.")
    # The page reports, then skips the sentence: wait for the skip to be answered.
    with page.expect_response(lambda response: response.url.endswith("/skip")) as skipped:
        page.get_by_role("button", name="Send report").click()
    assert skipped.value.status == 200

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.locator("#sentence")).not_to_have_text(first)
    expect(page.locator("#progress-text")).to_have_text("Sentence 1 of 5")
    with psycopg.connect(database_url) as conn:
        reports = conn.execute("SELECT reason, note FROM reports").fetchall()
        skips = conn.execute("SELECT count(*) FROM skips").fetchone()
    assert reports == [("other", "The last word is misspelt.")]
    assert skips == (1,)
