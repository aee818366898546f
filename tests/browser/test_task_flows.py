"""Each text task end to end in Chromium, against the real API (issue #18's "must show"): one
person answers three items, two others check each answer (one of them corrects one), then the
database holds the answers, the votes, the verdicts and the correction linked to what it
corrects, and "my contributions" shows the answers with their status."""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from app.contribute.opening import make_prompts, set_task
from app.tasks import LABEL, TRANSCRIBE, TRANSLATE
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, NewPerson
from tests.conftest import SAMPLE_AUDIO

pytestmark = pytest.mark.slow

DANDA = "\u0964"

# Transcribe: three sample clips and what they say (tests/data/audio/clips.tsv).
CLIPS = {
    "hi_1.wav": "हुबली भारत के कर्नाटक प्रांत का एक प्रमुख नगर है",
    "hi_3.wav": "पशुप्रेमियों के लिए यहां देखने और जानने के लिए बहुत कुछ है",
    "hi_4.wav": "यहाँ का पुणे शहर भी भारत के बड़े महानगरों में गिना जाता है",
}
# Label: the text each image shows (its reference).
LABELS = ["नदी के किनारे", "पुस्तकालय का रास्ता", "बाज़ार बंद है"]
# Translate: English sentences and a translation of each.
TRANSLATIONS = {
    "The river is wide.": "नदी चौड़ी है",
    "I like to read books.": "मुझे किताबें पढ़ना पसंद है",
    "The market opens at nine.": "बाज़ार नौ बजे खुलता है",
}
KINDS = {"transcribe": "transcription", "translate": "translation", "label": "label"}
TASK_LABELS = {"transcribe": "Transcription", "translate": "Translation", "label": "Image label"}


@dataclass(frozen=True)
class TaskSetup:
    """Where to go and what to type: `answers` maps what the page shows of an item (its media
    URL's item id, or the source sentence) to the right text."""

    contribute_path: str
    validate_path: str
    answers: dict[str, str]


def _png(width: int = 360, height: int = 90) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (255, 255, 255)).save(out, "PNG")
    return out.getvalue()


def _add_media_item(
    db: psycopg.Connection, live_server: LiveServer, kind: str, reference: str, data: bytes
) -> int:
    ext, content_type = ("png", "image/png") if kind == "image" else ("wav", "audio/wav")
    key = f"media/hi/{uuid.uuid4().hex}.{ext}"
    duration = None
    if kind == "audio":
        with wave.open(io.BytesIO(data)) as clip:
            duration = round(clip.getnframes() * 1000 / clip.getframerate())
    live_server.app.extensions["crowdsource.storage"].put(key, data, content_type=content_type)
    row = db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text, media_key, media_duration_ms,"
        " media_measures) VALUES ('hi', %s, %s, %s, %s, %s) RETURNING id",
        (
            kind,
            reference,
            key,
            duration,
            Jsonb({"width": 360, "height": 90, "format": "png"}) if kind == "image" else None,
        ),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def arrange(task: str, db: psycopg.Connection, live_server: LiveServer) -> TaskSetup:
    """Open `task` in Hindi with three items (cap 1) and say what to type for each."""
    if task == "transcribe":
        set_task(db, TRANSCRIBE, "hi", cap=1)
        answers = {
            str(
                _add_media_item(db, live_server, "audio", text, (SAMPLE_AUDIO / name).read_bytes())
            ): text
            for name, text in CLIPS.items()
        }
        return TaskSetup("/transcribe/hi", "/validate/transcribe/hi", answers)
    if task == "label":
        set_task(db, LABEL, "hi", cap=1)
        answers = {
            str(_add_media_item(db, live_server, "image", text, _png())): text for text in LABELS
        }
        return TaskSetup("/label/hi", "/validate/label/hi", answers)
    set_task(db, TRANSLATE, "hi", cap=1)
    for sentence in TRANSLATIONS:
        db.execute(
            "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('en', 'sentence', %s)",
            (sentence,),
        )
    assert make_prompts(db, "en", "hi")["added"] == len(TRANSLATIONS)
    return TaskSetup("/translate/en/hi", "/validate/translate/hi?from=en", dict(TRANSLATIONS))


def _shown_key(page: Page, task: str, prefix: str = "") -> str:
    """What identifies the item on screen: the item id in its media link, or the sentence."""
    if task == "translate":
        return page.locator(f"{prefix}#source").inner_text()
    media = page.locator("#clip" if task == "transcribe" else "#image").get_attribute("src") or ""
    match = re.search(r"/items/(\d+)/media", media)
    assert match, media
    return match.group(1)


def contribute_three(page: Page, task: str, setup: TaskSetup) -> None:
    words = {"transcribe": "Clip", "label": "Image", "translate": "Sentence"}[task]
    for number in range(1, 4):
        expect(page.locator("#progress-text")).to_have_text(f"{words} {number} of 5")
        text = setup.answers[_shown_key(page, task)]
        page.locator("#answer").fill(text)
        page.get_by_role("button", name="Submit", exact=True).click()
        if number < 3:
            expect(page.locator("#progress-text")).to_have_text(f"{words} {number + 1} of 5")
    # Three items and a cap of one: nothing more for anyone, so the round ends with thanks.
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.locator("#session-count")).to_have_text("3")


def check_three(page: Page, task: str, *, correct_first: bool) -> tuple[str, str] | None:
    """Answer the three checks: Correct each, or, with `correct_first`, correct the first by
    adding a danda with the helper key. Returns (original, corrected) when it corrected."""
    corrected = None
    for number in range(1, 4):
        expect(page.locator("#progress-text")).to_have_text(f"Check {number} of 5")
        accept = page.get_by_role("button", name="Correct", exact=True)
        if task == "transcribe":
            expect(accept).to_be_disabled()  # not before the clip was heard to the end
            page.locator("#clip").evaluate("(clip) => clip.play()")
        expect(accept).to_be_enabled()
        if correct_first and number == 1:
            original = page.locator("#contribution").inner_text()
            page.get_by_role("button", name="Needs a change").click()
            box = page.locator("#correction")
            expect(box).to_have_value(original)
            box.press("End")
            page.get_by_role("button", name="danda (full stop)").click()
            expect(box).to_have_value(original + DANDA)
            page.get_by_role("button", name="Send correction").click()
            corrected = (original, original + DANDA)
        else:
            accept.click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.locator("#session-count")).to_have_text("3")
    return corrected


@pytest.mark.parametrize("task", ["transcribe", "translate", "label"])
def test_three_answers_checked_by_two_people_one_corrected(
    task: str,
    live_server: LiveServer,
    new_person: NewPerson,
    database_url: str,
    screenshots: Path,
) -> None:
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as db:
        setup = arrange(task, db, live_server)
    base = live_server.url

    # A, on a phone, answers the three items.
    a = new_person(PHONE)
    a.goto(base + setup.contribute_path)
    contribute_three(a, task, setup)

    # B (desktop) says Correct to all three; C (phone) corrects the first and accepts the rest.
    b = new_person(DESKTOP)
    b.goto(base + setup.validate_path)
    expect(b.locator("#contribution")).not_to_be_empty()
    b.screenshot(path=screenshots / f"validate-{task}-desktop.png", full_page=True)
    assert check_three(b, task, correct_first=False) is None
    c = new_person(PHONE)
    c.goto(base + setup.validate_path)
    corrected = check_three(c, task, correct_first=True)
    assert corrected is not None
    original_text, correction_text = corrected

    with psycopg.connect(database_url, row_factory=dict_row) as db:
        answers = db.execute(
            "SELECT id, contributor_id, text, status, accept_count, reject_count, item_id"
            "  FROM contributions WHERE kind = %s AND corrects_id IS NULL ORDER BY id",
            (KINDS[task],),
        ).fetchall()
        votes = db.execute(
            "SELECT v.contribution_id, v.validator_id, v.verdict FROM validations v"
            " ORDER BY v.contribution_id, v.verdict"
        ).fetchall()
        corrections = db.execute(
            "SELECT c.contributor_id, c.text, c.status, c.item_id, c.kind, o.text AS original"
            "  FROM contributions c JOIN contributions o ON o.id = c.corrects_id"
        ).fetchall()

    # A's three answers, as typed, one author; every answer had two votes from two others.
    typed = [unicodedata.normalize("NFC", text) for text in setup.answers.values()]
    assert sorted(row["text"] for row in answers) == sorted(typed)
    (author,) = {row["contributor_id"] for row in answers}
    validators = {row["validator_id"] for row in votes}
    assert len(validators) == 2 and author not in validators
    assert len(votes) == 6
    by_answer = {row["id"]: row for row in answers}
    for row in answers:
        verdicts = sorted(v["verdict"] for v in votes if v["contribution_id"] == row["id"])
        if row["text"] == original_text:
            # "Needs a change" is a reject vote: one accept, one reject, not decided yet.
            assert verdicts == ["accept", "reject"]
            assert (row["accept_count"], row["reject_count"], row["status"]) == (1, 1, "pending")
        else:
            assert verdicts == ["accept", "accept"]
            assert (row["accept_count"], row["reject_count"], row["status"]) == (2, 0, "accepted")

    # The correction: a new answer by the validator who rejected, on the same item, linked to
    # the answer it corrects, waiting for its own checks.
    (correction,) = corrections
    corrected_row = next(row for row in answers if row["text"] == original_text)
    (rejecter,) = {
        v["validator_id"]
        for v in votes
        if v["verdict"] == "reject" and v["contribution_id"] == corrected_row["id"]
    }
    assert correction == {
        "contributor_id": rejecter,
        "text": correction_text,
        "status": "pending",
        "item_id": by_answer[corrected_row["id"]]["item_id"],
        "kind": KINDS[task],
        "original": original_text,
    }

    # A's own page: the three answers, their task and text, two accepted and one waiting.
    a.goto(f"{base}/me/contributions")
    rows = a.locator(".contribution")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text=TASK_LABELS[task])).to_have_count(3)
    expect(a.locator(".contribution .badge", has_text="Accepted")).to_have_count(2)
    expect(
        rows.filter(has_text=original_text).locator(".badge", has_text="Waiting for checks")
    ).to_have_count(1)
    totals = a.locator(f"#task-totals tr[data-task='{task}']")
    for field, expected in (("answers", 3), ("accepted", 2), ("pending", 1), ("corrections", 0)):
        expect(totals.locator(f"[data-field='{field}']")).to_have_text(str(expected))
    a.screenshot(path=screenshots / f"contributions-{task}-phone.png", full_page=True)

    # C's own page: the correction, waiting for checks.
    c.goto(f"{base}/me/contributions")
    expect(c.locator(".contribution")).to_have_count(1)
    expect(c.locator(".contribution .sentence-small")).to_have_text(correction_text)
    expect(
        c.locator(f"#task-totals tr[data-task='{task}'] [data-field='corrections']")
    ).to_have_text("1")
