"""The leaderboard opt-in on the Profile page (issue #20): ticking the box without a display
name is refused next to the box (which goes back to unticked); with a name it is saved, and
clearing the name opts the person out."""

from __future__ import annotations

import psycopg
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, LiveServer, NewPerson

pytestmark = pytest.mark.slow
OPT_IN = "Show my name on the public leaderboards"
SAVE = "**/api/v1/me/profile"


def opted_in(db: psycopg.Connection) -> list[tuple[str, bool]]:
    rows = db.execute("SELECT display_name, leaderboard_opt_in FROM contributors").fetchall()
    return [(row["display_name"], row["leaderboard_opt_in"]) for row in rows if row["display_name"]]


def test_the_profile_page_opts_in_only_with_a_display_name(
    live_server: LiveServer, new_person: NewPerson, db: psycopg.Connection
) -> None:
    page = new_person(viewport=PHONE)
    page.goto(f"{live_server.url}/profile")
    box = page.get_by_label(OPT_IN)
    name = page.get_by_label("Display name", exact=True)
    expect(box).not_to_be_checked()

    with page.expect_response(SAVE) as refused:
        box.check()

    assert refused.value.status == 422
    expect(page.locator("#leaderboard_opt_in-error")).to_contain_text("Choose a display name")
    expect(box).not_to_be_checked()
    expect(box).to_have_attribute("aria-invalid", "true")
    assert opted_in(db) == []

    with page.expect_response(SAVE):
        name.fill("Asha")
        name.press("Tab")  # saved on change
    with page.expect_response(SAVE) as saved:
        box.check()
    assert saved.value.ok
    expect(page.locator("#leaderboard_opt_in-error")).to_be_hidden()
    assert opted_in(db) == [("Asha", True)]
    page.reload()
    expect(page.get_by_label(OPT_IN)).to_be_checked()

    with page.expect_response(SAVE):
        name.fill("")
        name.press("Tab")
    expect(page.get_by_label(OPT_IN)).not_to_be_checked()  # off the boards with the name
    assert db.execute("SELECT count(*) AS n FROM contributors WHERE leaderboard_opt_in").fetchone()[
        "n"
    ] == 0
