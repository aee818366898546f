"""Speak and validate with a Hindi and with an Urdu interface (issue #19): the journeys finish,
the buttons say what the catalog says, the Urdu page is mirrored while the Hindi sentence keeps
its own language and direction, and the rows land as with English."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, expect
from psycopg.rows import dict_row

from app.i18n.catalogs import loaded
from app.sentences.demo import load_demo_sentences_if_empty
from tests.browser.conftest import LiveServer, NewPerson

pytestmark = pytest.mark.slow

PHONE_390 = {"width": 390, "height": 844}
TAKE_MS = 1800


def in_language(new_person: NewPerson, base: str, code: str) -> Page:
    page = new_person(PHONE_390)
    page.context.add_cookies([{"name": "cs_locale", "value": code, "url": base}])
    return page


def said(code: str, english: str) -> str:
    return loaded(code).translations.gettext(english)


def record_two(page: Page, base: str, code: str) -> None:
    page.goto(f"{base}/speak/hi")
    expect(page.locator("html")).to_have_attribute("lang", code)
    page.locator("#profile-skip").click()
    for _ in range(2):
        record = page.locator("#record")
        expect(record).to_have_text(said(code, "Record"))
        record.click()
        expect(record).to_have_text(said(code, "Stop"))
        page.wait_for_timeout(TAKE_MS)
        record.click()
        submit = page.locator("#submit")
        expect(submit).to_be_enabled()
        submit.click()
        expect(page.locator("#status")).not_to_be_empty()


@pytest.mark.parametrize("code", ["hi", "ur"])
def test_speak_and_validate_in_the_interface_language(
    live_server: LiveServer, new_person: NewPerson, database_url: str, screenshots: Path,
    code: str,
) -> None:  # fmt: skip
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        assert load_demo_sentences_if_empty(conn) > 0
    base = live_server.url

    speaker = in_language(new_person, base, code)
    record_two(speaker, base, code)
    sentence = speaker.locator("#sentence")
    # the sentence is Hindi whatever the interface: its own language and direction
    expect(sentence).to_have_attribute("lang", "hi")
    assert sentence.evaluate("e => getComputedStyle(e).direction") == "ltr"
    page_direction = speaker.evaluate("getComputedStyle(document.body).direction")
    assert page_direction == ("rtl" if code == "ur" else "ltr")
    speaker.screenshot(path=screenshots / f"i18n-journey-speak-{code}.png", full_page=True)

    for _ in range(2):  # two people check both recordings
        checker = in_language(new_person, base, code)
        checker.goto(f"{base}/validate/hi")
        for _clip in range(2):
            play, accept = checker.locator("#play"), checker.locator("#accept")
            expect(accept).to_have_text(said(code, "Correct"))
            play.click()
            expect(accept).to_be_enabled()
            if code == "ur":  # mirrored: the first answer button sits right of the second
                assert accept.bounding_box()["x"] > checker.locator("#reject").bounding_box()["x"]
            accept.click()
        expect(checker.locator("#done-step")).to_be_visible()
    checker.screenshot(path=screenshots / f"i18n-journey-validate-{code}.png", full_page=True)

    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT status, accept_count FROM contributions").fetchall()
    assert sorted(rows) == [("accepted", 2), ("accepted", 2)]
