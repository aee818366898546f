"""The leaderboards in the browser (issue #20): the opt-in on the Profile page (ticking the
box without a display name is refused next to the box, which goes back to unticked; with a
name it is saved, and clearing the name opts the person out), and a person's own positions on
My contributions and the dashboard."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from playwright.sync_api import Route, expect

from app.dashboard.refresh import refresh_dashboard
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
        # click, not check(): the page unticks the box again when the save is refused, and
        # check() fails if that happens before it looks at the box.
        box.click()

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
    assert (
        db.execute("SELECT count(*) AS n FROM contributors WHERE leaderboard_opt_in").fetchone()[
            "n"
        ]
        == 0
    )


def test_a_name_typed_before_the_stored_profile_arrives_is_kept_and_saved(
    live_server: LiveServer, new_person: NewPerson, db: psycopg.Connection
) -> None:
    """On a slow network the form shows before the stored values: what the volunteer typed
    meanwhile is not overwritten by them."""
    page = new_person(viewport=PHONE)
    held: list[Route] = []
    page.route("**/api/v1/me", lambda route: held.append(route))  # answered below, late
    page.goto(f"{live_server.url}/profile")
    name = page.get_by_label("Display name", exact=True)
    name.fill("Early Typist")
    while not held:  # the page asked for the stored profile
        page.wait_for_timeout(50)
    with page.expect_response("**/api/v1/me"):
        held[0].continue_()
    # the choices and values came in together: the form is filled now
    expect(page.locator("#region_code option")).not_to_have_count(1)
    with page.expect_response(SAVE) as saved:
        name.press("Tab")
    assert saved.value.ok
    expect(name).to_have_value("Early Typist")
    assert opted_in(db) == [("Early Typist", False)]


def test_my_positions_show_on_my_contributions_and_the_dashboard(
    live_server: LiveServer, new_person: NewPerson, db: psycopg.Connection, database_url: str
) -> None:
    page = new_person(viewport=PHONE)
    page.goto(f"{live_server.url}/profile")
    with page.expect_response(SAVE):
        page.get_by_label("Display name", exact=True).fill("Private Person")
        page.get_by_label("Display name", exact=True).press("Tab")
    row = db.execute("SELECT id FROM contributors WHERE display_name = 'Private Person'").fetchone()
    assert row is not None
    # Three recordings of theirs a month ago, and one by someone else this week.
    someone_else = uuid.uuid4()
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (someone_else,))
    for who, n, days in ((row["id"], 3, 30), (someone_else, 1, 1)):
        for _ in range(n):
            item = db.execute(
                "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', %s)"
                " RETURNING id",
                (uuid.uuid4().hex,),
            ).fetchone()
            db.execute(
                """INSERT INTO contributions (public_id, contributor_id, item_id, language_code,
                       kind, idempotency_key, media_key, duration_ms, created_at)
                   VALUES (%s, %s, %s, 'hi', 'recording', %s, 'x/a.webm', 2000,
                           now() - %s * interval '1 day')""",
                (uuid.uuid4(), who, item["id"], uuid.uuid4().hex, days),
            )
    assert refresh_dashboard(database_url, live_server.app.extensions["crowdsource.storage"])

    page.goto(f"{live_server.url}/me/contributions")
    hindi = page.locator('#ranks-body tr[data-board="hi speak"]')
    expect(hindi.locator("th")).to_have_text("Hindi")
    expect(hindi.locator('td[data-period="all"]')).to_have_text("1 of 2")
    expect(hindi.locator('td[data-period="week"]')).to_have_text("–")  # nothing this week

    page.goto(f"{live_server.url}/dashboard?language=hi")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")
    expect(page.locator("#my-ranks-note")).to_have_text("You have no position on this board yet.")
    page.get_by_label("Period").select_option("all")
    expect(page.locator("#my-ranks-list li")).to_have_text(["Hindi: 1 of 2"])
    # Not opted in: on no board by name (and the board needs five opted-in people anyway).
    expect(page.locator("#leaders tbody tr")).to_have_count(0)
