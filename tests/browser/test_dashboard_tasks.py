"""The dashboard page shows tasks.json (issue #18): transcribe, translate and label, a table
each with a row per language (translate: per language pair), the numbers as published and each
row's progress toward its goal; the language filter narrows them. A manifest published before
tasks.json existed still draws the rest of the page (real Chromium, strict CSP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Locator, Page, expect

from app.dashboard.publish import MANIFEST_KEY
from app.dashboard.refresh import refresh_dashboard
from tests.api.conftest import person  # noqa: F401  (fixture)
from tests.api.test_tasks import add_items
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, NewPerson
from tests.dashboard.test_tasks_dashboard import _history

pytestmark = pytest.mark.slow

COUNTS = ("items", "items_contributed", "items_validated", "contributions", "corrections")


def publish(live_server: LiveServer, database_url: str) -> dict[str, Any]:
    """Run the real refresh into the live server's storage; return the manifest and tasks.json."""
    storage = live_server.app.extensions["crowdsource.storage"]
    assert refresh_dashboard(database_url, storage) is not None
    manifest = json.loads(storage.get(MANIFEST_KEY))
    return {"manifest": manifest, "tasks": json.loads(storage.get(manifest["files"]["tasks"]))}


@pytest.fixture
def published(
    live_server: LiveServer,
    person: Any,  # noqa: F811
    database_url: str,
    db: psycopg.Connection,
) -> dict[str, Any]:
    """Hindi's labels, transcripts and English → Hindi translations, answered, checked and
    corrected through the API (tests/dashboard/test_tasks_dashboard.py), and two images in
    Urdu that no task is open for, published by the real refresh."""
    _history(person, db)
    add_items(db, "image", 2, language="ur")
    return publish(live_server, database_url)


def open_dashboard(page: Page, live_server: LiveServer, query: str = "") -> None:
    page.goto(f"{live_server.url}/dashboard{query}")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")


def row_of(page: Page, entry: dict[str, Any]) -> Locator:
    selector = f'tr[data-task="{entry["task"]}"][data-language="{entry["language"]}"]'
    if entry["source_language"]:
        selector += f'[data-source="{entry["source_language"]}"]'
    return page.locator(f"#tasks-{entry['task']} tbody {selector}")


def shown_values(row: Locator) -> list[float]:
    """The exact numbers of a row, as drawn (from data-value), in column order."""
    values = row.locator("td.numeric").evaluate_all("cells => cells.map((c) => c.dataset.value)")
    return [float(value) for value in values]


def published_values(entry: dict[str, Any]) -> list[float]:
    hours = [entry["hours_contributed"], entry["hours_validated"]]
    return [
        *(float(entry[key]) for key in COUNTS[:3]),
        *(float(h) for h in (hours if entry["task"] == "transcribe" else [])),
        *(float(entry[key]) for key in COUNTS[3:]),
    ]


def test_the_dashboard_shows_every_task_per_language_as_published(
    live_server: LiveServer, new_person: NewPerson, published: dict[str, Any], screenshots: Path
) -> None:
    rows = published["tasks"]["tasks"]
    assert {(r["task"], r["language"]) for r in rows} == {
        ("label", "hi"), ("label", "ur"), ("transcribe", "hi"), ("translate", "hi"),
    }  # fmt: skip
    page = new_person(viewport=DESKTOP)

    open_dashboard(page, live_server)

    expect(page.locator("#tasks-heading")).to_have_text("Transcribe, translate, label")
    expect(page.locator("#tasks-note")).to_have_text("")
    for entry in rows:
        row = row_of(page, entry)
        expect(row).to_have_count(1)
        assert shown_values(row) == published_values(entry), entry
        goal = row.locator("td.task-goal")
        assert float(goal.get_attribute("data-done") or "nan") == entry["goal"]["done"]
        assert float(goal.get_attribute("data-target") or "nan") == entry["goal"]["target"]
        bar = goal.locator("progress")
        share = entry["goal"]["done"] / entry["goal"]["target"]
        assert float(bar.evaluate("bar => bar.value")) == pytest.approx(min(1, share))
    for task in ("transcribe", "translate", "label"):
        expect(page.locator(f"#tasks-{task} tbody tr")).to_have_count(
            sum(r["task"] == task for r in rows)
        )

    label = next(r for r in rows if (r["task"], r["language"]) == ("label", "hi"))
    labels = row_of(page, label)
    expect(labels.locator("td.numeric").nth(0)).to_have_text(f"{label['items']:,}")
    expect(labels.locator("td.numeric").nth(4)).to_have_text(str(label["corrections"]))
    expect(labels.locator(".task-goal-text")).to_have_text(
        f"{label['goal']['done']} of 5,000 images (<0.1%)"
    )
    transcribe = next(r for r in rows if r["task"] == "transcribe")
    assert transcribe["goal"] == {"unit": "hours", "target": 1.0, "done": 0.001}  # one 4 s clip
    expect(row_of(page, transcribe).locator(".task-goal-text")).to_have_text(
        "0 of 1 hour (0.1%)"  # hours as the page writes them everywhere: 2 decimals below 10
    )
    # Languages by their own names, in their own script and direction; a pair reads from → to.
    expect(labels.locator('th span[lang="hi"]')).to_have_text("हिन्दी")
    urdu = row_of(page, next(r for r in rows if r["language"] == "ur"))
    expect(urdu.locator('th span[lang="ur"]')).to_have_attribute("dir", "rtl")
    expect(urdu.locator("th")).to_contain_text("closed")  # no task is open in Urdu
    pair = row_of(page, next(r for r in rows if r["task"] == "translate")).locator("th")
    expect(pair).to_have_text("English → to हिन्दी Hindi")
    expect(pair.locator('[aria-hidden="true"]')).to_have_text(" → ")
    # Each bar is named by its row and column, and described by its figures.
    bar = labels.locator("progress")
    assert (bar.get_attribute("aria-labelledby") or "").split() == [
        "task-label-hi-name", "task-label-goal-heading",
    ]  # fmt: skip
    expect(page.locator("#tasks-label caption")).to_have_text("Label per language, all languages")
    page.locator("#tasks-heading").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "dashboard-tasks-desktop.png", full_page=True)

    page.get_by_label("Language", exact=True).select_option("en")  # only the pair from English

    expect(page.locator("#tasks-heading")).to_contain_text("English")
    expect(page.locator("#tasks-translate tbody tr")).to_have_count(1)
    expect(page.locator("#tasks-transcribe .empty")).to_have_text(
        "Nothing to transcribe in English yet."
    )
    expect(page.locator("#tasks-label table")).to_have_count(0)

    page.get_by_label("Language", exact=True).select_option("hi")

    expect(page.locator("#tasks tbody tr")).to_have_count(3)
    page.set_viewport_size(PHONE)  # the tables scroll inside their box, the page does not
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshots / "dashboard-tasks-hindi-phone.png", full_page=True)


def test_a_manifest_published_before_tasks_json_still_draws_the_page(
    live_server: LiveServer, new_person: NewPerson, published: dict[str, Any]
) -> None:
    storage = live_server.app.extensions["crowdsource.storage"]
    manifest = published["manifest"]
    older = {**manifest, "files": {k: v for k, v in manifest["files"].items() if k != "tasks"}}
    storage.put(MANIFEST_KEY, json.dumps(older).encode(), content_type="application/json")
    summary = json.loads(storage.get(manifest["files"]["summary"]))
    page = new_person(viewport=PHONE)

    open_dashboard(page, live_server)

    expect(page.locator("#stat-recordings")).to_have_attribute(
        "data-value", str(summary["totals"]["recordings"])
    )
    expect(page.locator("#tasks-note")).to_have_text(
        "Nothing is published for transcribe, translate and label yet; "
        "they appear after the next refresh."
    )
    expect(page.locator("#tasks")).to_be_empty()
    expect(page.locator("#chart-timeseries")).to_have_text(
        "Nothing has been recorded in all languages yet."
    )
