"""Nothing recorded is lost offline (issue #21): takes are kept on the device (IndexedDB) before
their upload starts, the speak page opens again without a network (the service worker keeps the
app shell and the page keeps its last batch of sentences), and when the network is back every
kept take arrives once, even when an answer is lost on its way back."""

from __future__ import annotations

import psycopg
import pytest
from flask.testing import FlaskClient
from playwright.sync_api import Dialog, Page, Route, expect

from tests.browser.conftest import LiveServer, NewPerson
from tests.browser.test_speak_edges import PROFILE_SKIPPED, add_hindi_sentences, take

pytestmark = pytest.mark.slow

RECORDINGS = """
SELECT d.text, c.idempotency_key
  FROM contributions c JOIN dataset_rows d ON d.id = c.item_id
 WHERE c.kind = 'recording'
"""

# How many takes the page's upload queue (IndexedDB) still keeps.
TAKES_KEPT = """() => new Promise((resolve) => {
  const open = indexedDB.open("crowdsource-offline");
  open.onsuccess = () => {
    const count = open.result.transaction("takes").objectStore("takes").count();
    count.onsuccess = () => resolve(count.result);
  };
})"""


def test_takes_recorded_offline_arrive_once_after_a_reload_and_the_network_coming_back(
    live_server: LiveServer, new_person: NewPerson, db: psycopg.Connection, database_url: str
) -> None:
    add_hindi_sentences(database_url, 6)
    page = new_person(init_scripts=(PROFILE_SKIPPED,))
    dialogs: list[str] = []

    def leave_anyway(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave_anyway)
    page.goto(f"{live_server.url}/speak/hi")
    expect(page.locator("#sentence")).not_to_be_empty()
    expect(page.locator("html")).to_have_attribute("data-offline", "ready")  # the shell is kept

    recorded = record_offline(page, 3)
    waiting = page.locator("#upload-waiting")
    expect(waiting).to_have_text("3 recordings waiting to upload")
    expect(waiting).to_have_attribute("aria-live", "polite")

    # Leaving (here: reloading) with takes not sent asks first; still offline, the service
    # worker serves the page, and the sentences come from the batch kept on the device, less
    # the three waiting to upload.
    reloaded = page.reload()
    assert dialogs == ["beforeunload"]
    assert reloaded is not None and reloaded.from_service_worker
    expect(waiting).to_have_text("3 recordings waiting to upload")
    expect(page.locator("#sentence")).not_to_be_empty()
    assert page.locator("#sentence").inner_text() not in recorded
    assert db.execute(RECORDINGS).fetchall() == []

    # The network comes back, but the answer to the first upload is lost on its way back: the
    # server stored it, the page never heard. The queue sends it again with the same key.
    lost: list[int] = []

    def lose_first_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        lost.append(route.fetch().status)
        route.abort("internetdisconnected")

    page.route("**/api/v1/recordings", lose_first_answer)
    page.context.set_offline(False)

    expect(waiting).to_have_text("No recordings are waiting to upload.")
    assert lost and lost[0] in (200, 201)
    rows = db.execute(RECORDINGS).fetchall()
    assert sorted(row["text"] for row in rows) == sorted(recorded)
    assert len({row["idempotency_key"] for row in rows}) == 3
    assert page.evaluate(TAKES_KEPT) == 0


def test_leaving_with_a_take_not_yet_submitted_asks_first(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    add_hindi_sentences(database_url, 2)
    page = new_person(init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")
    take(page, 1200)
    asked: list[str] = []

    def leave_anyway(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave_anyway)
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    assert asked == ["beforeunload"]


def test_the_service_worker_is_served_from_the_root_and_may_run(client: FlaskClient) -> None:
    worker = client.get("/sw.js")
    page = client.get("/")
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert b'addEventListener("sync"' in worker.data
    assert "worker-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_take_refused_for_good_is_shown_with_the_reason_and_never_sent_again(
    live_server: LiveServer, new_person: NewPerson, db: psycopg.Connection, database_url: str
) -> None:
    add_hindi_sentences(database_url, 3)
    page = new_person(init_scripts=(PROFILE_SKIPPED,))
    uploads: list[str] = []
    page.on(
        "request",
        lambda request: (
            uploads.append(request.url)
            if request.method == "POST" and request.url.endswith("/api/v1/recordings")
            else None
        ),
    )
    page.goto(f"{live_server.url}/speak/hi")
    expect(page.locator("#sentence")).not_to_be_empty()

    page.context.set_offline(True)
    take(page, 400)  # shorter than the server's minimum of one second
    # The page's own check says so too (wait for it, or the click races it) and offers
    # "Submit anyway": the server, the authority, refuses it for good.
    page.get_by_role("button", name="Submit anyway").click()
    expect(page.locator("#upload-waiting")).to_have_text("1 recording waiting to upload")
    page.context.set_offline(False)

    failed = page.locator("#upload-failed")
    expect(failed).to_be_visible()
    expect(failed.get_by_role("listitem")).to_contain_text("at least")
    expect(page.locator("#upload-waiting")).to_have_text("No recordings are waiting to upload.")
    sent = len(uploads)

    page.reload()  # a page load sends what waits: the refused take is not waiting
    expect(failed.get_by_role("listitem")).to_contain_text("at least")
    expect(page.locator("#sentence")).not_to_be_empty()
    assert len(uploads) == sent
    assert db.execute("SELECT count(*) AS n FROM contributions").fetchone()["n"] == 0

    failed.get_by_role("button", name="Dismiss").click()
    expect(failed).to_be_hidden()
    assert page.evaluate(TAKES_KEPT) == 0


def test_a_returning_volunteer_gets_the_speak_page_without_waiting_for_the_network(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    """The page shell comes from the worker's copy while the network's answer is still on its
    way (held here until the page is up); that answer then refreshes the copy."""
    add_hindi_sentences(database_url, 3)
    page = new_person(init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")
    expect(page.locator("html")).to_have_attribute("data-offline", "ready")

    held: list[Route] = []
    page.context.route(f"{live_server.url}/speak/hi", lambda route: held.append(route))
    page.goto(f"{live_server.url}/speak/hi")
    expect(page.locator("#sentence")).not_to_be_empty()  # usable, the page's request unanswered
    assert len(held) == 1  # the refresh, behind the page
    held[0].continue_()
    page.context.unroute(f"{live_server.url}/speak/hi")


def test_a_new_interface_language_is_never_shown_from_an_old_kept_page(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    add_hindi_sentences(database_url, 3)
    page = new_person(init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")
    expect(page.locator("html")).to_have_attribute("data-offline", "ready")
    page.goto(f"{live_server.url}/speak/hi")  # now through the worker, kept in English
    expect(page.locator("html")).to_have_attribute("lang", "en")

    with page.expect_navigation():
        page.locator("#locale-select").select_option("hi")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    page.goto(f"{live_server.url}/speak/hi")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    # the switch itself dropped the English copy: no reload was needed to correct it
    assert page.evaluate("sessionStorage.getItem('crowdsource.language-reload')") is None

    # a language chosen where the worker could not see it (the cookie set another way): the
    # page notices it is in the other language, drops the kept pages and loads again, once
    page.context.add_cookies([{"name": "cs_locale", "value": "ta", "url": live_server.url}])
    page.goto(f"{live_server.url}/speak/hi")
    expect(page.locator("html")).to_have_attribute("lang", "ta")
    assert page.evaluate("sessionStorage.getItem('crowdsource.language-reload')") == "/speak/hi"


def test_the_service_worker_sends_the_takes_when_the_browser_fires_background_sync(
    live_server: LiveServer, new_person: NewPerson, db: psycopg.Connection, database_url: str
) -> None:
    """With no page of ours open, the browser's Background Sync event (dispatched here through
    the DevTools protocol, as Chromium does once the network returns) has the service worker
    send the kept takes."""
    add_hindi_sentences(database_url, 6)
    page = new_person(init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")
    expect(page.locator("#sentence")).not_to_be_empty()
    expect(page.locator("html")).to_have_attribute("data-offline", "ready")

    recorded = record_offline(page, 2)
    expect(page.locator("#upload-waiting")).to_have_text("2 recordings waiting to upload")

    # Only a blank tab is left; the network comes back; the browser fires the sync event.
    blank = page.context.new_page()
    page.close(run_before_unload=False)
    cdp = page.context.new_cdp_session(blank)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(
            r["registrationId"] for r in event["registrations"] if not r.get("isDeleted")
        ),
    )
    cdp.send("ServiceWorker.enable")
    blank.wait_for_timeout(200)  # the registrations are announced as events
    assert registrations, "no service worker registration"
    assert db.execute(RECORDINGS).fetchall() == []
    page.context.set_offline(False)
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live_server.url,
            "registrationId": registrations[-1],
            "tag": "upload-takes",  # SYNC_TAG in js/queue-store.js
            "lastChance": False,
        },
    )

    rows: list[dict] = []
    for _ in range(100):  # the worker sends them in order; at most ~10 s here
        rows = db.execute(RECORDINGS).fetchall()
        if len(rows) == 2:
            break
        blank.wait_for_timeout(100)
    assert sorted(row["text"] for row in rows) == sorted(recorded)


def record_offline(page: Page, takes: int) -> list[str]:
    """Cut the network, record and submit `takes` takes; the sentences they were of."""
    page.context.set_offline(True)
    recorded = []
    for n in range(takes):
        recorded.append(page.locator("#sentence").inner_text())
        take(page, 1500)
        page.get_by_role("button", name="Submit").click()
        expect(page.locator("#progress-text")).to_have_text(f"Sentence {n + 2} of 5")
    return recorded
