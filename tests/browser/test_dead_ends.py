"""No dead ends, and no waiting for what could be fetched ahead (issue #21): the choosers lead
with the languages that have work and list the others under "Coming soon"; a newcomer to a
language without sentences is not told they recorded them all; the round's end offers
"Record 5 more" only when there are more; the validate page fetches the next clips' audio
while the current one plays, and the speak page the next sentences before its round ends."""

from __future__ import annotations

import io
import uuid
import wave
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, Request, Route, expect

from loadtests.clips import loudest_window
from tests.browser.conftest import LiveServer, NewPerson
from tests.browser.test_core_loop import record_one
from tests.browser.test_speak_edges import PROFILE_SKIPPED, add_hindi_sentences
from tests.conftest import SAMPLE_AUDIO

pytestmark = pytest.mark.slow


def seed_playable_clips(live_server: LiveServer, database_url: str, count: int) -> list[str]:
    """`count` Hindi recordings by someone else waiting for checks, each with real speech
    stored behind it. Returns their public ids, oldest first (the queue's order)."""
    speech = loudest_window((SAMPLE_AUDIO / "hi_1.wav").read_bytes())
    assert speech is not None
    with wave.open(io.BytesIO(speech)) as clip:
        duration_ms = round(clip.getnframes() * 1000 / clip.getframerate())
    storage = live_server.app.extensions["crowdsource.storage"]
    speaker, ids = uuid.uuid4(), []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO contributors (id) VALUES (%s)", (speaker,))
        for n in range(count):
            (item,) = conn.execute(
                "INSERT INTO dataset_rows (language_code, kind, text)"
                " VALUES ('hi', 'sentence', %s) RETURNING id",
                (f"सुनने का वाक्य {n} {uuid.uuid4().hex[:4]}",),
            ).fetchone()
            public_id, key = uuid.uuid4(), f"recordings/{uuid.uuid4()}.wav"
            conn.execute(
                """INSERT INTO contributions (public_id, contributor_id, item_id, language_code,
                       kind, idempotency_key, media_key, media_type, duration_ms, status,
                       created_at)
                   VALUES (%s, %s, %s, 'hi', 'recording', %s, %s, 'audio/wav', %s, 'pending',
                           now() - make_interval(mins => %s))""",
                (public_id, speaker, item, uuid.uuid4().hex, key, duration_ms, 60 - n),
            )
            storage.put(key, speech, content_type="audio/wav")
            ids.append(str(public_id))
    return ids


def cards(page: Page, group: str) -> list[str]:
    return page.locator(f"#languages-{group} .language-card").evaluate_all(
        "cards => cards.map(card => card.dataset.code)"
    )


def test_the_choosers_lead_with_languages_that_have_work(
    live_server: LiveServer, new_person: NewPerson, database_url: str, screenshots: Path
) -> None:
    add_hindi_sentences(database_url, 3)
    page = new_person()

    page.goto(f"{live_server.url}/speak")
    assert cards(page, "ready") == ["hi"]
    soon = page.locator("#languages-soon")
    expect(soon.get_by_role("heading", name="Coming soon")).to_be_visible()
    assert "ta" in cards(page, "soon")
    expect(soon.get_by_role("link", name="Speak Tamil")).to_have_count(0)
    expect(soon.get_by_role("link", name="Offer to help")).to_have_attribute(
        "href", "/feedback?from=/speak"
    )
    page.screenshot(path=screenshots / "speak-choose-coming-soon-phone.png", full_page=True)

    page.goto(f"{live_server.url}/validate")  # nothing recorded yet: nothing to check anywhere
    assert cards(page, "ready") == []
    assert "hi" in cards(page, "soon")
    expect(page.get_by_role("link", name="Validate Hindi")).to_have_count(0)
    expect(page.get_by_role("link", name="Speak Hindi")).to_be_visible()

    page.goto(f"{live_server.url}/")
    assert cards(page, "ready") == ["hi"]
    expect(page.locator("#languages-ready").get_by_role("link", name="Speak Hindi")).to_be_visible()
    page.locator("#languages-soon").get_by_role("link", name="Offer to help").click()
    expect(page).to_have_url(f"{live_server.url}/feedback?from=/")


def test_a_newcomer_to_a_language_without_sentences_is_not_told_they_did_them_all(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    page = new_person(init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/kn")
    expect(page.get_by_role("heading", name="No sentences left to record")).to_be_visible()
    expect(page.get_by_text("There are no Kannada sentences to record yet")).to_be_visible()
    expect(page.get_by_text("You have recorded or skipped every")).to_be_hidden()

    # Someone who skipped the only sentence did go through them all, and is told so.
    add_hindi_sentences(database_url, 1)
    page.goto(f"{live_server.url}/speak/hi")
    page.get_by_role("button", name="Skip sentence").click()
    expect(page.get_by_text("You have recorded or skipped every Hindi sentence")).to_be_visible()
    expect(page.get_by_text("There are no Hindi sentences to record yet")).to_be_hidden()


def test_record_5_more_is_offered_only_when_there_are_more(
    live_server: LiveServer, new_person: NewPerson, database_url: str, screenshots: Path
) -> None:
    add_hindi_sentences(database_url, 6)
    page = new_person(init_scripts=(PROFILE_SKIPPED,))
    log: list[str] = []
    page.on("request", lambda request: log.append(f"{request.method} {request.url}"))
    page.goto(f"{live_server.url}/speak/hi")

    for number in range(1, 6):
        record_one(page, number, use_keyboard=False)
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    more = page.get_by_role("button", name="Record 5 more")
    expect(more).to_be_visible()  # one sentence is left
    # The next batch was asked for before the round's last take was sent.
    ahead = next(i for i, line in enumerate(log) if "/sentences?count=6" in line)
    uploads = [i for i, line in enumerate(log) if line.startswith("POST") and "/recordings" in line]
    assert len(uploads) == 5 and ahead < uploads[-1]

    more.click()
    record_one(page, 1, use_keyboard=False)  # the last sentence: the round ends with it
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.locator("#session-count")).to_have_text("1")
    expect(more).to_be_hidden()
    expect(page.get_by_role("link", name="Check recordings")).to_be_visible()
    page.screenshot(path=screenshots / "speak-done-nothing-left-phone.png", full_page=True)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM contributions").fetchone() == (6,)


def test_validate_fetches_the_next_clips_audio_while_the_current_one_plays(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    ids = seed_playable_clips(live_server, database_url, 4)
    page = new_person()
    log: list[str] = []

    def note(request: Request) -> None:
        for n, public_id in enumerate(ids):
            if f"/recordings/{public_id}/audio" in request.url:
                log.append(f"audio {n}")
        if request.method == "POST" and request.url.endswith("/votes"):
            log.append("vote")

    def arrived(request: Request) -> None:
        for n, public_id in enumerate(ids):
            if f"/recordings/{public_id}/audio" in request.url:
                log.append(f"arrived {n}")

    page.on("request", note)
    page.on("requestfinished", arrived)
    page.goto(f"{live_server.url}/validate/hi")
    correct = page.get_by_role("button", name="Correct", exact=True)

    expect(page.locator("#progress-text")).to_have_text("Recording 1 of 5")
    page.get_by_role("button", name="Play").click()
    expect(correct).to_be_enabled()
    # While clip 1 played, the next two (and no more) were fetched.
    assert {"audio 1", "audio 2"} <= set(log) and "audio 3" not in log and "vote" not in log
    while "arrived 1" not in log:  # a slow machine: the answer waits for the download
        page.wait_for_timeout(50)
    correct.click()

    expect(page.locator("#progress-text")).to_have_text("Recording 2 of 5")
    # Clip 2 plays from what was fetched ahead: no second request for it.
    assert page.locator("#audio").evaluate("audio => audio.src").startswith("blob:")
    assert log.count("audio 1") == 1
    page.get_by_role("button", name="Play").click()
    expect(correct).to_be_enabled()
    assert "audio 3" in log
    correct.click()

    for number in (3, 4):
        expect(page.locator("#progress-text")).to_have_text(f"Recording {number} of 5")
        page.get_by_role("button", name="Play").click()
        expect(correct).to_be_enabled()
        correct.click()
    # Four clips were all there was: the round ends without "Check 5 more".
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.locator("#session-count")).to_have_text("4")
    expect(page.get_by_role("button", name="Check 5 more")).to_be_hidden()
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM validations").fetchone() == (4,)


def test_the_next_clip_shows_at_once_and_a_vote_that_cannot_be_sent_brings_its_clip_back(
    live_server: LiveServer, new_person: NewPerson, database_url: str, screenshots: Path
) -> None:
    """Answering moves on without waiting for the vote's round trip (issue #21: answer to the
    next sound); a vote the network loses on every retry is not lost silently: the alert says
    so and its clip comes back right after the one on screen."""
    seed_playable_clips(live_server, database_url, 3)
    page = new_person(viewport={"width": 390, "height": 844})
    lost: list[str] = []

    def lose_the_first_clips_votes(route: Route) -> None:
        if not lost or route.request.url == lost[0]:
            lost.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/v1/recordings/*/votes", lose_the_first_clips_votes)
    page.goto(f"{live_server.url}/validate/hi")
    correct = page.get_by_role("button", name="Correct", exact=True)
    sentence = page.locator("#sentence")

    expect(page.locator("#progress-text")).to_have_text("Recording 1 of 5")
    first = sentence.inner_text()
    page.get_by_role("button", name="Play").click()
    expect(correct).to_be_enabled()
    # the answers within a thumb's reach once the clip was heard
    page.screenshot(path=screenshots / "validate-clip-phone-390.png", full_page=True)
    correct.click()
    expect(page.locator("#progress-text")).to_have_text("Recording 2 of 5")
    assert sentence.inner_text() != first  # on screen while its vote is still being tried
    assert len(lost) <= 2  # the vote's retries (1 s, 2 s, 4 s apart) are still going on

    expect(page.locator("#alert")).to_be_visible(timeout=20_000)  # after the 4th attempt
    assert len(lost) == 4
    page.unroute("**/api/v1/recordings/*/votes")
    page.get_by_role("button", name="Play").click()
    expect(correct).to_be_enabled()
    with page.expect_response("**/votes") as second:
        correct.click()
    expect(sentence).to_have_text(first)  # back, right after the one that was on screen
    expect(page.locator("#progress-text")).to_have_text("Recording 2 of 5")
    page.get_by_role("button", name="Play").click()
    expect(correct).to_be_enabled()
    with page.expect_response("**/votes") as again:
        correct.click()
    expect(page.locator("#progress-text")).to_have_text("Recording 3 of 5")
    assert second.value.status == again.value.status == 201
    assert lost[0] == again.value.url  # the lost vote, sent again, was taken
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM validations").fetchone() == (2,)
