"""Dark mode (issue #21): with the system's dark colour scheme every page turns dark (the
stylesheet's variables), axe-core finds no serious or critical problem on any page (colour
contrast included), and phone screenshots of the main pages go to test-results/."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page

from tests.browser.conftest import LiveServer, NewPerson
from tests.browser.test_dashboard import arrange_history, open_dashboard, publish
from tests.browser.test_i18n_pages import AXE, PAGES, PHONE_390, settle

pytestmark = pytest.mark.slow

SCREENSHOTS = ("home", "speak", "validate", "dashboard")


def in_dark(new_person: NewPerson) -> Page:
    page = new_person(PHONE_390)
    page.emulate_media(color_scheme="dark")
    return page


def serious_problems(page: Page) -> list[str]:
    page.evaluate(AXE.read_text())  # by the DevTools protocol: the page's CSP stays strict
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_pages_turn_dark_with_the_system(demo: str, new_person: NewPerson) -> None:
    page = in_dark(new_person)
    page.goto(demo + "/")
    settle(page)
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(20, 20, 22)"
    light = new_person(PHONE_390)
    light.emulate_media(color_scheme="light")
    light.goto(demo + "/")
    settle(light)
    assert light.evaluate("getComputedStyle(document.documentElement).backgroundColor") == (
        "rgb(255, 253, 248)"
    )


@pytest.mark.parametrize("code", ("en", "ur"))
def test_no_serious_accessibility_problem_on_any_page_in_dark_mode(
    demo: str, new_person: NewPerson, screenshots: Path, code: str
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (CI does)")
    page = in_dark(new_person)
    page.context.add_cookies([{"name": "cs_locale", "value": code, "url": demo}])
    found = {}
    for name, path in PAGES.items():
        page.goto(demo + path)
        settle(page)
        if code == "en" and name in SCREENSHOTS:
            page.screenshot(path=screenshots / f"dark-{name}-phone.png", full_page=True)
        serious = serious_problems(page)
        if serious:
            found[name] = serious
    assert found == {}


def test_the_dashboards_charts_in_dark_mode(
    live_server: LiveServer,
    new_person: NewPerson,
    database_url: str,
    db: psycopg.Connection,
    screenshots: Path,
) -> None:
    """The charts take their colours from the stylesheet's variables, so they turn dark too;
    axe checks their text against the dark card."""
    arrange_history(db)
    publish(live_server, database_url)
    page = in_dark(new_person)
    open_dashboard(page, live_server)
    settle(page)
    fill = page.locator(".bar-recorded").first.evaluate("bar => getComputedStyle(bar).fill")
    assert fill == "rgb(227, 135, 107)"  # --recorded, dark
    page.screenshot(path=screenshots / "dark-dashboard-charts-phone.png", full_page=True)
    assert serious_problems(page) == []
