"""Feedback while recording (issue #21): the level meter follows the microphone (it moves for
speech, stays at zero for silence and then asks the volunteer to speak up), a take the server
would refuse is flagged in the server's words before anything is uploaded and is sent only by
"Submit anyway", and after a take Submit is the first, full-width button on a 390 px phone,
with the keyboard hints only once a key was pressed. axe-core finds nothing serious with the
meter showing.

Two fake microphones: the session's Chromium reads Hindi (conftest.py), a second one launched
here reads a silent file."""

from __future__ import annotations

import re
import wave
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from app.audio import RecordingRefused, analyse_recording
from tests.audio.corpus import build_corpus, espeak_missing
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FAKE_MICROPHONE_RATE,
    LiveServer,
    NewPerson,
    people_of,
)
from tests.browser.test_speak_edges import PROFILE_SKIPPED, add_hindi_sentences

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE_390 = {"width": 390, "height": 844}
TAKE_MS = 1800
SILENT = "We couldn't hear anything in your recording."
# The meter's aria-valuenow, read every 50 ms for 1.5 s while recording.
SAMPLE_METER = """async () => {
  const meter = document.getElementById('level');
  const seen = [];
  for (let i = 0; i < 30; i += 1) {
    seen.push(Number(meter.getAttribute('aria-valuenow')));
    await new Promise((done) => setTimeout(done, 50));
  }
  return seen;
}"""


def server_verdict(data: bytes) -> str:
    """ "accepted", or the code of the server's refusal."""
    try:
        analyse_recording(data)
    except RecordingRefused as refused:
        return refused.code
    return "accepted"


@pytest.fixture(scope="module")
def silent_browser(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """A second Chromium whose fake microphone hears nothing: a file of digital silence."""
    silence = tmp_path_factory.mktemp("silent-microphone") / "silence.wav"
    with wave.open(str(silence), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(FAKE_MICROPHONE_RATE)
        out.writeframes(bytes(2 * 3 * FAKE_MICROPHONE_RATE))
    quiet = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={silence}"],
    )
    yield quiet
    quiet.close()


@pytest.fixture
def silent_person(silent_browser: Browser) -> Iterator[NewPerson]:
    """new_person, on the Chromium whose microphone is silent."""
    yield from people_of(silent_browser, PHONE_390)


def start_take(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^(Record|Re-record)$")).click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(page.get_by_role("meter", name="Microphone level")).to_be_visible()


def stop_take(page: Page) -> None:
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_role("button", name="Re-record")).to_be_visible()


def serious_accessibility_problems(page: Page) -> list[str]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (CI does)")
    page.evaluate(AXE.read_text())  # by the DevTools protocol: the page's CSP stays strict
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_level_meter_moves_for_speech(
    live_server: LiveServer, new_person: NewPerson, database_url: str, screenshots: Path
) -> None:
    add_hindi_sentences(database_url, 1)
    page = new_person(PHONE_390, init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")
    meter = page.get_by_role("meter", name="Microphone level")
    expect(meter).to_be_hidden()  # only while recording

    start_take(page)
    seen = page.evaluate(SAMPLE_METER)
    assert max(seen) >= 25, seen  # a voice fills a good part of the bar
    assert len(set(seen)) >= 3, seen  # and the bar follows it
    expect(page.locator("#level-hint")).to_have_text("")  # nothing to complain about
    page.screenshot(path=screenshots / "speak-meter-phone-390.png", full_page=True)
    stop_take(page)

    expect(meter).to_be_hidden()
    expect(page.get_by_role("alert")).to_be_hidden()  # the take passes the page's check


def test_the_level_meter_stays_still_for_silence_and_asks_to_speak_up(
    live_server: LiveServer, silent_person: NewPerson, database_url: str
) -> None:
    add_hindi_sentences(database_url, 1)
    page = silent_person(init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")

    start_take(page)
    seen = page.evaluate(SAMPLE_METER)
    assert set(seen) == {0}, seen
    expect(page.locator("#level-hint")).to_have_text(re.compile("hardly hear you"))
    expect(page.locator("#level-hint")).to_have_attribute("aria-live", "polite")
    stop_take(page)
    expect(page.locator("#level-hint")).to_have_text("")


def test_a_silent_take_is_flagged_before_any_upload_and_sent_only_if_asked(
    live_server: LiveServer, silent_person: NewPerson, database_url: str
) -> None:
    add_hindi_sentences(database_url, 1)
    page = silent_person(init_scripts=(PROFILE_SKIPPED,))
    uploads: list[Request] = []
    page.on(
        "request",
        lambda request: (
            uploads.append(request)
            if request.method == "POST" and request.url.endswith("/api/v1/recordings")
            else None
        ),
    )
    page.goto(f"{live_server.url}/speak/hi")

    start_take(page)
    page.wait_for_timeout(TAKE_MS)
    stop_take(page)

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(SILENT)
    expect(alert).to_contain_text("Submit anyway")
    expect(page.get_by_role("button", name="Submit", exact=True)).to_be_hidden()
    anyway = page.get_by_role("button", name="Submit anyway")
    expect(anyway).to_be_visible()
    page.keyboard.press("s")  # the shortcut does not send a flagged take either
    expect(alert).to_contain_text(SILENT)
    assert uploads == []
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM upload_refusals").fetchone() == (0,)

    # The volunteer insists: the take goes, and the server (the authority) says the same.
    with page.expect_response(lambda r: r.url.endswith("/api/v1/recordings")) as answer:
        anyway.click()
    assert answer.value.status == 422
    expect(alert).to_contain_text(f"{SILENT} Please check your microphone is on and not muted")
    expect(alert).to_contain_text("Please record the sentence again.")
    assert len(uploads) == 1
    with psycopg.connect(database_url) as conn:
        refusals = conn.execute("SELECT reason_code FROM upload_refusals").fetchall()
        recordings = conn.execute("SELECT count(*) FROM contributions").fetchone()
    assert refusals == [("silent",)]
    assert recordings == (0,)


def test_after_a_take_submit_comes_first_on_a_phone(
    live_server: LiveServer, new_person: NewPerson, database_url: str, screenshots: Path
) -> None:
    add_hindi_sentences(database_url, 1)
    page = new_person(PHONE_390, init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")
    record = page.get_by_role("button", name="Record")
    expect(record).to_be_visible()
    expect(page.get_by_role("button", name="Submit")).to_be_hidden()  # nothing to submit yet
    before = record.bounding_box()
    assert before is not None and before["width"] > 300  # Record is the big button

    start_take(page)
    page.wait_for_timeout(TAKE_MS)
    stop_take(page)
    submit = page.get_by_role("button", name="Submit", exact=True)
    expect(submit).to_be_enabled()
    page.screenshot(path=screenshots / "speak-take-phone-390.png", full_page=True)

    boxes = {
        name: page.get_by_role("button", name=name, exact=True).bounding_box()
        for name in ("Submit", "Re-record", "Play")
    }
    submit_box, again_box, play_box = boxes["Submit"], boxes["Re-record"], boxes["Play"]
    assert submit_box and again_box and play_box
    assert submit_box["y"] + submit_box["height"] <= again_box["y"]  # Submit above Re-record
    assert submit_box["width"] > 300  # full width
    assert again_box["width"] < submit_box["width"] / 2 + 1  # Re-record is the smaller choice
    assert "primary" in (submit.get_attribute("class") or "")
    assert "primary" not in (page.locator("#record").get_attribute("class") or "")
    for box in boxes.values():
        assert box["height"] >= 44  # a thumb's target
        assert box["y"] + box["height"] <= PHONE_390["height"]  # reachable without scrolling

    # No keyboard yet: no shortcut hints; the first key press shows them.
    hints = page.locator("#record-step .shortcuts")
    expect(hints).to_be_hidden()
    page.keyboard.press("Tab")
    expect(hints).to_be_visible()


def test_the_speak_page_with_the_meter_has_no_serious_accessibility_problem(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    add_hindi_sentences(database_url, 1)
    page = new_person(PHONE_390, init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")

    start_take(page)
    assert serious_accessibility_problems(page) == []
    # A take as long as the others: how long axe took is no take length (a short one is
    # flagged, and then the button says "Submit anyway").
    page.wait_for_timeout(TAKE_MS)
    stop_take(page)
    expect(page.get_by_role("button", name="Submit", exact=True)).to_be_visible()
    assert serious_accessibility_problems(page) == []


def test_a_flagged_take_offers_submit_anyway_accessibly(
    live_server: LiveServer, silent_person: NewPerson, database_url: str, screenshots: Path
) -> None:
    add_hindi_sentences(database_url, 1)
    page = silent_person(init_scripts=(PROFILE_SKIPPED,))
    page.goto(f"{live_server.url}/speak/hi")
    start_take(page)
    page.wait_for_timeout(TAKE_MS)
    stop_take(page)
    expect(page.get_by_role("button", name="Submit anyway")).to_be_visible()
    # Re-record is the main choice now.
    assert "primary" in (page.locator("#record").get_attribute("class") or "")
    page.screenshot(path=screenshots / "speak-flagged-phone-390.png", full_page=True)
    assert serious_accessibility_problems(page) == []


def test_the_pages_check_never_flags_a_take_the_server_accepts(
    live_server: LiveServer, new_person: NewPerson, tmp_path: Path
) -> None:
    """On the speech check's labelled corpus (tests/audio/corpus.py): whatever the page flags,
    the server refuses too (so "Submit anyway" is never the only way to send good speech), and
    what the server refuses as silent the page catches."""
    if (reason := espeak_missing()) is not None:
        pytest.skip(reason)
    corpus = build_corpus(tmp_path)
    page = new_person()
    page.route(
        re.compile(r"/corpus/\d+$"),
        lambda route: route.fulfill(body=corpus[int(route.request.url.rsplit("/", 1)[1])].data),
    )
    page.goto(f"{live_server.url}/privacy")

    by_page = page.evaluate(
        """async (count) => {
          const { checkTake } = await import('/static/js/take-check.js');
          const verdicts = [];
          for (let i = 0; i < count; i += 1) {
            const blob = await (await fetch(`/corpus/${i}`)).blob();
            verdicts.push((await checkTake(blob))?.code ?? 'accepted');
          }
          return verdicts;
        }""",
        len(corpus),
    )
    by_server = [server_verdict(sample.data) for sample in corpus]

    wrongly_flagged = [
        (s.name, flagged)
        for s, flagged, judged in zip(corpus, by_page, by_server, strict=True)
        if flagged != "accepted" and judged == "accepted"
    ]
    missed_silence = [
        s.name
        for s, flagged, judged in zip(corpus, by_page, by_server, strict=True)
        if judged == "silent" and flagged != "silent"
    ]
    refused = [
        flagged for flagged, judged in zip(by_page, by_server, strict=True) if judged != "accepted"
    ]
    caught = sum(1 for flagged in refused if flagged != "accepted")
    print(f"the page flags {caught} of the {len(refused)} takes the server refuses")
    assert wrongly_flagged == []
    assert missed_silence == []


def test_the_hints_change_only_when_the_sound_has_changed_for_a_while(
    live_server: LiveServer, new_person: NewPerson
) -> None:
    """The hint logic (level-meter.js LevelHints) fed frames 16 ms apart, as the meter does:
    each hint comes once, is not dropped and taken up again while the level hovers around its
    threshold, and goes only when the sound is right again."""
    page = new_person()
    page.goto(f"{live_server.url}/privacy")

    shown = page.evaluate(
        """async () => {
          const { LevelHints } = await import('/static/js/level-meter.js');
          const hints = new LevelHints();
          const shown = [];
          let at = 0;
          const feed = (ms, frame) => {
            for (const end = at + ms; at < end; at += 16) {
              const [db, clipped] = frame(at);
              const state = hints.add(at, db, clipped, 2048);
              if (shown.at(-1) !== state) shown.push(state);
            }
          };
          feed(3000, () => [-70, 0]);  // a muted microphone: too quiet
          feed(3000, (t) => [t % 200 < 100 ? -47 : -42, 0]);  // hovering: still too quiet
          feed(3000, (t) => [t % 200 < 100 ? -50 : -25, 0]);  // a voice: fine
          feed(3000, (t) => [t % 200 < 100 ? -44 : -41, 0]);  // softer, above the entry: fine
          feed(1500, () => [-3, 400]);  // shouting into it: clipping
          feed(300, () => [-20, 0]);  // a short pause does not end it
          feed(4000, () => [-20, 0]);  // a clean voice does
          return shown;
        }"""
    )

    assert shown == ["", "quiet", "", "clipping", ""]
