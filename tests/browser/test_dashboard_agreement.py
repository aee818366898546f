"""The dashboard page shows the published agreement between validators, for all languages and
for the language chosen, with what it rests on and what it means (real Chromium). Here rather
than in tests/dashboard/ so it shares this folder's one browser (Playwright's sync API cannot
run two at once in one thread)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, expect

from app.dashboard.refresh import refresh_dashboard
from tests.browser.conftest import DESKTOP, LiveServer, NewPerson
from tests.dashboard.votes import arrange_units, new_contributor

pytestmark = pytest.mark.slow

A, R = "accept", "reject"


def open_dashboard(page: Page, live_server: LiveServer, query: str = "") -> None:
    page.goto(f"{live_server.url}/dashboard{query}")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")


def test_the_dashboard_shows_agreement_per_language_with_its_meaning(
    live_server: LiveServer,
    new_person: NewPerson,
    screenshots: Path,
    database_url: str,
    db: psycopg.Connection,
) -> None:
    validators = [new_contributor(db) for _ in range(3)]
    # Hindi: Krippendorff's section A data, alpha = 2/21; Tamil: everyone accepted.
    first, second = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    verdict = {1: A, 0: R}
    units = [[verdict[a], verdict[b]] for a, b in zip(first, second, strict=True)]
    arrange_units(db, "hi", units, validators=validators[:2])
    arrange_units(db, "ta", [[A, A, A], [A, A]], validators=validators)
    arrange_units(db, "ur", [[A]])
    storage = live_server.app.extensions["crowdsource.storage"]
    assert refresh_dashboard(database_url, storage) is not None
    manifest = json.loads(storage.get("public/dashboard/manifest.json"))
    summary = json.loads(storage.get(manifest["files"]["summary"]))

    page = new_person(viewport=DESKTOP)
    open_dashboard(page, live_server)
    alpha = page.locator("#stat-agreement-alpha")
    pooled = summary["totals"]["agreement"]
    expect(alpha).to_have_attribute("data-value", str(pooled["alpha"]))
    expect(alpha).to_have_text(f"{pooled['alpha']:.2f}")
    expect(page.locator("#agreement-basis")).to_have_text(
        "From 25 votes on 12 recordings checked by at least two people (3 validators)."
    )
    assert "beyond chance: Krippendorff's alpha" in (
        page.locator("#agreement-alpha-box").get_attribute("title") or ""
    )
    page.get_by_text("What do these numbers mean?").click()
    expect(page.locator("#agreement-explained")).to_contain_text("How often two validators agree")
    page.locator("#agreement-heading").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "dashboard-agreement.png")

    page.select_option("#language", "hi")
    expect(alpha).to_have_text("0.10")
    expect(page.locator("#stat-agreement-pairwise")).to_have_text("60%")
    expect(page.locator("#agreement-basis")).to_have_text(
        "From 20 votes on 10 recordings checked by at least two people (2 validators)."
    )

    page.select_option("#language", "ta")
    expect(alpha).to_have_text("–")
    expect(page.locator("#stat-agreement-pairwise")).to_have_text("100%")
    expect(page.locator("#agreement-basis")).to_contain_text(
        "Every vote so far gave the same answer"
    )

    open_dashboard(page, live_server, "?language=ur")
    expect(alpha).to_have_text("–")
    expect(page.locator("#agreement-basis")).to_have_text(
        "No recording in Urdu has been checked by two people yet."
    )
