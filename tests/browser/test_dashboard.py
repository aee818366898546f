"""The public dashboard in a real browser: a history of recordings and checks in three
languages is published by the real refresh, and the page draws what the JSON says (numbers,
bars, lines, goals, leaderboard), for all languages and for the one chosen in the filter, on a
desktop and on a phone. Before the first refresh the page says the dashboard is coming."""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from app.dashboard.refresh import refresh_dashboard
from app.storage import Storage
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, NewPerson

pytestmark = pytest.mark.slow

DESKTOP_TALL = {**DESKTOP, "height": 900}
# Ninety speakers, five from each of seventeen states (groups of fewer than 5 speakers are
# not published on their own), so the state chart shows its top 15 and sums the other two;
# the last five did not say.
STATES = ["KA", "MH", "DL", "TN", "UP", "WB", "GJ", "RJ", "KL", "PB", "BR", "OD", "AS", "TS",
          "AP", "HR", "DH"]  # fmt: skip
REGIONS = [STATES[n % len(STATES)] for n in range(5 * len(STATES))]
SPEAKERS = 90
AGE_GROUPS = ["twenties", "thirties", "teens", "forties", "fifties", None]
GENDERS = ["female", "male", "female", "other", None]
NAMES = ["Asha", "Ravi", "Meera", "Arjun", "Kavya", "Imran", "Lakshmi", "Dev", "Zoya", "Nikhil"]


def arrange_history(db: psycopg.Connection) -> None:
    """Ninety speakers over ten days: Hindi from all, Tamil from some, Urdu from two; ten of
    them with display names, shown on the leaderboards; most recordings accepted by two of four
    validators a day later."""
    rng = random.Random(20261125)
    now = datetime.now(UTC).replace(microsecond=0)
    validators = [uuid.uuid4() for _ in range(4)]
    for validator in validators:
        db.execute("INSERT INTO contributors (id) VALUES (%s)", (validator,))
    plan = {"hi": range(SPEAKERS), "ta": range(0, SPEAKERS, 5), "ur": range(1, 3)}
    speakers = []
    for n in range(SPEAKERS):
        speaker = uuid.uuid4()
        speakers.append(speaker)
        db.execute(
            "INSERT INTO contributors"
            " (id, display_name, leaderboard_opt_in, age_group, gender, region_code)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (
                speaker,
                NAMES[n] if n < len(NAMES) else None,
                n < len(NAMES),
                AGE_GROUPS[n % len(AGE_GROUPS)],
                GENDERS[n % len(GENDERS)],
                REGIONS[n] if n < len(REGIONS) else None,
            ),
        )
    for language, who in plan.items():
        for n in who:
            profile = db.execute(
                "SELECT age_group, gender, region_code FROM contributors WHERE id = %s",
                (speakers[n],),
            ).fetchone()
            assert profile is not None
            for _ in range(rng.randint(2, 6) if language == "hi" else rng.randint(1, 3)):
                made = now - timedelta(days=rng.randint(1, 10), minutes=rng.randint(0, 600))
                status = rng.choice(["accepted", "accepted", "accepted", "rejected", "pending"])
                decided = None if status == "pending" else min(now, made + timedelta(days=1))
                item = db.execute(
                    "INSERT INTO dataset_rows (language_code, kind, text, contribution_count)"
                    " VALUES (%s, 'sentence', %s, 1) RETURNING id",
                    (language, f"वाक्य {uuid.uuid4().hex}"),
                ).fetchone()
                assert item is not None
                public_id = uuid.uuid4()
                # the recording, its votes and its counts commit together (migration 0009)
                with db.transaction():
                    votes = 0 if status == "pending" else 2
                    contribution = db.execute(
                        """INSERT INTO contributions
                             (public_id, contributor_id, item_id, language_code, kind,
                              idempotency_key, media_key, media_type, size_bytes, duration_ms,
                              age_group, gender, region_code, status, accept_count, reject_count,
                              created_at, decided_at)
                           VALUES (%s, %s, %s, %s, 'recording', %s, %s, 'audio/webm', 30000, %s,
                                   %s, %s, %s, %s, %s, %s, %s, %s)
                           RETURNING id""",
                        (
                            public_id, speakers[n], item["id"], language, public_id.hex,
                            f"recordings/{language}/{public_id}.webm",
                            rng.randint(60, 900) * 1000,  # long takes, so the hours add up visibly
                            profile["age_group"], profile["gender"], profile["region_code"], status,
                            votes if status == "accepted" else 0,
                            votes if status == "rejected" else 0,
                            made, decided,
                        ),
                    ).fetchone()  # fmt: skip
                    assert contribution is not None
                    verdict = "accept" if status == "accepted" else "reject"
                    for validator in rng.sample(validators, votes):
                        db.execute(
                            "INSERT INTO validations"
                            " (contribution_id, validator_id, verdict, created_at)"
                            " VALUES (%s, %s, %s, %s)",
                            (contribution["id"], validator, verdict, decided),
                        )


def publish(live_server: LiveServer, database_url: str) -> dict[str, Any]:
    """Run the real refresh into the app's storage; return the published documents by name."""
    storage: Storage = live_server.app.extensions["crowdsource.storage"]
    result = refresh_dashboard(database_url, storage)
    assert result is not None
    manifest = json.loads(storage.get("public/dashboard/manifest.json"))
    documents = {name: json.loads(storage.get(key)) for name, key in manifest["files"].items()}
    return {"manifest": manifest, **documents}


@pytest.fixture
def published(live_server: LiveServer, database_url: str, db: psycopg.Connection) -> dict[str, Any]:
    arrange_history(db)
    return publish(live_server, database_url)


def language_totals(published: dict[str, Any], code: str) -> dict[str, Any]:
    """A language's entry in the published summary."""
    return next(entry for entry in published["summary"]["languages"] if entry["code"] == code)


def open_dashboard(page: Page, live_server: LiveServer, query: str = "") -> None:
    page.goto(f"{live_server.url}/dashboard{query}")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")


def headline(page: Page) -> dict[str, float]:
    """The headline numbers as drawn (their exact values, from data-value)."""
    return {
        name: float(page.locator(f"#stat-{name}").get_attribute("data-value") or "nan")
        for name in ("hours-recorded", "hours-validated", "recordings", "speakers", "validators")
    }


def expected_headline(numbers: dict[str, Any]) -> dict[str, float]:
    return {
        "hours-recorded": numbers["hours_recorded"],
        "hours-validated": numbers["hours_validated"],
        "recordings": numbers["recordings"],
        "speakers": numbers["speakers"],
        "validators": numbers["validators"],
    }


def test_dashboard_draws_the_published_numbers_and_follows_the_language_filter(
    live_server: LiveServer,
    new_person: NewPerson,
    published: dict[str, Any],
    screenshots: Path,
) -> None:
    summary, timeseries = published["summary"], published["timeseries"]
    hindi = language_totals(published, "hi")
    page = new_person(viewport=DESKTOP_TALL)

    open_dashboard(page, live_server)

    assert headline(page) == expected_headline(summary["totals"])
    expect(page.locator("#stat-recordings")).to_have_text(f"{summary['totals']['recordings']:,}")
    updated = page.locator("#updated")
    expect(updated).to_have_attribute("datetime", published["manifest"]["generated_at"])
    expect(updated).to_have_text(re.compile(r"^(just now|\d+ minutes? ago) \(.+\)$"))
    # One recorded and one validated bar per language that has recordings (three of 23).
    assert page.locator("#chart-languages rect.bar-recorded").count() == 3
    assert page.locator("#chart-languages rect.bar-validated").count() == 3
    assert page.locator("#chart-languages svg").get_attribute("role") == "img"
    expect(page.locator('#chart-languages tspan[lang="ur"]')).to_have_text("اردو")
    # The running totals: one step per day with activity, a dot for each on both lines.
    line = page.locator("#chart-timeseries path.line-recorded")
    assert line.get_attribute("data-points") == str(len(timeseries["all"]))
    assert page.locator("#chart-timeseries circle.dot-validated").count() == len(timeseries["all"])
    # Seventeen states: the top 15, "2 other states", and the people who did not say.
    assert page.locator("#chart-regions rect.bar").count() == 17
    expect(page.locator("#chart-regions text.chart-label").nth(15)).to_have_text("2 other states")
    expect(page.locator("#chart-regions text.chart-label").last).to_have_text("Not given")
    expect(page.locator("#chart-ages text.chart-label").first).to_have_text("Under 20")
    assert page.locator("#goals progress").count() == 3
    expect(page.locator("#leaders-note")).to_contain_text("Choose a language")
    page.screenshot(path=screenshots / "dashboard-desktop.png", full_page=True)

    page.get_by_label("Language", exact=True).select_option("hi")

    expect(page).to_have_url(re.compile(r"/dashboard\?language=hi$"))
    expect(page.locator("#stat-speakers")).to_have_attribute("data-value", str(hindi["speakers"]))
    assert headline(page) == expected_headline(hindi)
    assert headline(page) != expected_headline(summary["totals"])
    assert line.get_attribute("data-points") == str(len(timeseries["languages"]["hi"]))
    expect(page.locator("#chart-languages .highlight tspan[lang='hi']")).to_have_text("हिन्दी")
    assert page.locator("#goals progress").count() == 1
    board = published["leaderboard"]["languages"]["hi"]["speak"]["week"]  # the first choices
    assert board["shown"]
    leaders = page.locator("#leaders tbody tr")
    expect(leaders).to_have_count(len(board["contributors"]))
    expect(leaders.first.locator("td").first).to_have_text(board["contributors"][0]["display_name"])
    page.screenshot(path=screenshots / "dashboard-hindi-desktop.png", full_page=True)

    page.get_by_label("Language", exact=True).select_option("ta")

    expect(page.locator("#leaders-note")).to_have_text(
        "This board appears once 5 people who chose to show their display name have taken part."
    )
    expect(page.locator("#leaders tbody tr")).to_have_count(0)
    expect(page.locator("#my-ranks")).to_be_hidden()  # this visitor has done nothing yet
    page.go_back()  # the filter is in the address, so Back returns to Hindi
    expect(page.get_by_label("Language", exact=True)).to_have_value("hi")
    expect(page.locator("#stat-speakers")).to_have_attribute("data-value", str(hindi["speakers"]))

    page.set_viewport_size(PHONE)  # the charts are redrawn at the new width

    page.wait_for_function(
        "width => document.querySelector('#chart-regions svg').width.baseVal.value < width",
        arg=PHONE["width"],
    )


def test_dashboard_fits_a_phone_and_opens_on_the_linked_language(
    live_server: LiveServer,
    new_person: NewPerson,
    published: dict[str, Any],
    screenshots: Path,
) -> None:
    urdu = language_totals(published, "ur")
    page = new_person(viewport=PHONE)

    open_dashboard(page, live_server, "?language=ur")

    expect(page.get_by_label("Language", exact=True)).to_have_value("ur")
    expect(page.locator("#stat-recordings")).to_have_attribute(
        "data-value", str(urdu["recordings"])
    )
    # Charts are drawn at the phone's width: nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    rights = page.locator("svg.chart-svg").evaluate_all(
        "svgs => svgs.map((svg) => svg.getBoundingClientRect().right)"
    )
    assert rights and max(rights) <= PHONE["width"]
    page.get_by_text("Show as table").first.click()
    expect(page.locator("#chart-languages table tbody tr")).to_have_count(3)
    page.screenshot(path=screenshots / "dashboard-urdu-phone.png", full_page=True)

    page.get_by_label("Language", exact=True).select_option("bn")  # nothing recorded yet

    expect(page.locator("#stat-recordings")).to_have_text("0")
    expect(page.locator("#chart-timeseries")).to_have_text(
        "Nothing has been recorded in Bengali yet."
    )
    expect(page.locator("#goals li")).to_contain_text("0 of 1,000 hours (0%)")

    page.get_by_label("Language", exact=True).select_option("")

    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.screenshot(path=screenshots / "dashboard-phone.png", full_page=True)


def test_dashboard_says_it_is_being_prepared_before_the_first_refresh(
    live_server: LiveServer, new_person: NewPerson, screenshots: Path
) -> None:
    page = new_person(viewport=PHONE)

    page.goto(f"{live_server.url}/dashboard")

    expect(page.locator("#dashboard")).to_have_attribute("data-state", "preparing")
    expect(
        page.get_by_text("The dashboard is being prepared; it is refreshed every 4 hours.")
    ).to_be_visible()
    expect(page.locator("#content")).to_be_hidden()
    expect(page.locator("#loading")).to_be_hidden()
    page.screenshot(path=screenshots / "dashboard-preparing-phone.png", full_page=True)

    page.goto(live_server.url)  # the home page leaves its numbers out and still lists languages

    expect(page.get_by_role("heading", name="Languages")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#headline")).to_be_hidden()


def test_home_page_shows_the_published_headline_numbers(
    live_server: LiveServer, new_person: NewPerson, published: dict[str, Any], screenshots: Path
) -> None:
    totals = published["summary"]["totals"]
    page = new_person(viewport=PHONE)

    page.goto(live_server.url)

    expect(page.locator("#headline")).to_be_visible()
    expect(page.locator("#home-speakers")).to_have_text(str(totals["speakers"]))
    expect(page.locator("#home-languages")).to_have_text("3")
    expect(page.locator("#home-hours-recorded")).not_to_have_text("–")
    page.screenshot(path=screenshots / "dashboard-home-phone.png", full_page=True)
    page.get_by_role("link", name="See the dashboard").click()
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")
    expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")


def test_dashboard_page_is_a_shell_with_nothing_inline(client: FlaskClient) -> None:
    response = client.get("/dashboard")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'data-dashboard-base=""' in page
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert re.findall(r"\son[a-z]+\s*=|\sstyle\s*=|<style", page) == []
