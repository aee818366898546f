"""The text tasks' pages (app/web/task_pages.py) on their own: each renders with nothing inline,
an unknown task or language gets the HTML 404 page, the home page links the tasks open in a
language, and in Chromium each page works against the tasks API as ADR 0010 §10 words it:
the script's helper keys insert at the caret, refusals show next to the box, "Submit anyway"
confirms, a retried send keeps its idempotency key, and a check can send a correction.

The API is played here by `FakeTasksApi` (Playwright answers the page's requests), so these
tests pin the pages to the contract; test_task_flows.py runs the pages against the real API.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from PIL import Image
from playwright.sync_api import Locator, Page, Request, Route, ViewportSize, expect

from app.contributors.identity import COOKIE_NAME
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, NewPerson

PAGES = [
    "/transcribe/hi",
    "/label/ur",
    "/translate",
    "/translate?to=hi",
    "/translate/en/hi",
    "/validate/transcribe/hi",
    "/validate/label/ta",
    "/validate/translate/hi",
    "/validate/translate/hi?from=en",
]

NUKTA, VIRAMA, ZWNJ, ZER = "\u093c", "\u094d", "\u200c", "\u0650"


# ---- HTML ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_task_page_renders_without_anything_inline(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []  # every script is a file
    assert re.findall(r"\son[a-z]+\s*=", page) == []  # no inline event handlers
    assert re.findall(r"\sstyle\s*=|<style", page) == []  # no inline styles
    for url in re.findall(r'\s(?:src|href)="([^"]*)"', page):
        assert url.startswith(("/", "?", "#")), f"{path} refers to another host: {url}"


def test_a_task_page_brings_a_session_as_speak_does(client: FlaskClient) -> None:
    response = client.get("/transcribe/hi")

    assert response.headers["Set-Cookie"].startswith(f"{COOKIE_NAME}=")


@pytest.mark.parametrize(
    "path",
    [
        "/transcribe/xx",
        "/label/HI",
        "/translate/xx/hi",
        "/translate/en/xx",
        "/translate/hi/hi",
        "/validate/speak/hi",
        "/validate/paint/hi",
        "/validate/transcribe/xx",
        "/validate/translate/hi?from=xx",
    ],
)
def test_unknown_task_or_language_gets_the_not_found_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "We could not find that language" in response.get_data(as_text=True)


def test_text_boxes_and_sentences_keep_their_own_language_and_direction(
    client: FlaskClient,
) -> None:
    label = client.get("/label/ur").get_data(as_text=True)
    translate = client.get("/translate/ur/hi").get_data(as_text=True)

    assert re.search(r'<textarea id="answer"[^>]*lang="ur" dir="rtl"[^>]*data-script="Arab"', label)
    assert 'id="source" class="sentence" lang="ur" dir="rtl"' in translate
    assert re.search(r'<textarea id="answer"[^>]*lang="hi" dir="ltr"', translate)


def test_home_page_links_the_tasks_open_in_each_language(
    client: FlaskClient, db: psycopg.Connection
) -> None:
    db.execute(
        "INSERT INTO language_tasks (language_code, task) VALUES"
        " ('hi', 'transcribe'), ('hi', 'translate'), ('ta', 'label')"
    )
    db.execute(
        "INSERT INTO language_tasks (language_code, task, is_open) VALUES ('bn', 'label', false)"
    )
    db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', 'नमस्ते')"
    )

    page = client.get("/").get_data(as_text=True)

    assert 'href="/transcribe/hi"' in page and 'href="/translate?to=hi"' in page
    assert 'href="/label/ta"' in page
    assert 'href="/label/bn"' not in page and 'href="/label/hi"' not in page
    assert 'href="/speak/hi"' in page  # speak's links stay


# ---- a stand-in for the tasks API ------------------------------------------------------------


def _clip_wav(ms: int = 400) -> bytes:
    """A short tone, enough for an <audio> element to load and play to its end."""
    rate = 16_000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(rate * ms // 1000)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(frames)
    return out.getvalue()


def _image_png(width: int = 320, height: int = 120) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (250, 240, 220)).save(out, "PNG")
    return out.getvalue()


def item(number: int, *, text: str | None = None, kind: str = "audio") -> dict[str, Any]:
    """An item as GET .../items answers it; its media is served by FakeTasksApi."""
    media = {"audio": ("audio/wav", 400, None, None), "image": ("image/png", None, 320, 120)}
    media_type, duration, width, height = media.get(kind, (None, None, None, None))
    return {
        "id": number,
        "text": text,
        "media_url": f"/api/v1/items/{number}/media?token=t{number}" if media_type else None,
        "media_type": media_type,
        "duration_ms": duration,
        "width": width,
        "height": height,
    }


# What POST .../contributions and .../votes answer, in turn: (status, body) or "drop" (the
# connection fails before an answer). When the list runs out, a success.
Answer = tuple[int, dict[str, Any]] | str


def refusal(code: str, message: str) -> tuple[int, dict[str, Any]]:
    return 422, {"error": {"code": code, "message": message, "field": "text"}}


@dataclass
class FakeTasksApi:
    """Answers the page's calls to the tasks API (and the items' media) as ADR 0010 §10 says,
    and keeps what the page sent."""

    task: str
    items: list[dict[str, Any]] = field(default_factory=list)
    queue: list[dict[str, Any]] = field(default_factory=list)
    open_tasks: list[dict[str, Any]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # bodies of the POSTs, in order
    paths: list[str] = field(default_factory=list)  # every API path asked, with its query

    def install(self, page: Page) -> None:
        page.route(re.compile(r".*/api/v1/(tasks|contributions|items)(/.*)?(\?.*)?$"), self._answer)

    def _answer(self, route: Route, request: Request) -> None:
        path = request.url.split("/api/v1/", 1)[1]
        self.paths.append(path)
        if path.startswith("items/"):
            wav = path.startswith("items/") and self.task == "transcribe"
            body = _clip_wav() if wav else _image_png()
            route.fulfill(status=200, body=body, content_type="audio/wav" if wav else "image/png")
            return
        if request.method == "POST":
            self.sent.append({"path": path, **(request.post_data_json or {})})
            self._post(route, path)
            return
        if path == "tasks":
            self._json(route, 200, {"tasks": self.open_tasks})
        elif "/items?" in path:
            self._json(route, 200, self._items(path))
        elif "/queue?" in path:
            served, self.queue = self.queue, []
            self._json(route, 200, {"task": self.task, "language": "hi", "contributions": served})
        else:
            self._json(route, 404, {"error": {"code": "not_found", "message": "Not here."}})

    def _items(self, path: str) -> dict[str, Any]:
        count = int(re.search(r"count=(\d+)", path).group(1))  # type: ignore[union-attr]
        served, self.items = self.items[:count], self.items[count:]
        return {
            "task": self.task,
            "language": "hi",
            "source_language": "en" if self.task == "translate" else None,
            "items": served,
            "exhausted": not self.items,
        }

    def _post(self, route: Route, path: str) -> None:
        answer: Answer = self.answers.pop(0) if self.answers else "ok"
        if answer == "drop":
            route.abort("connectionreset")
        elif answer == "ok" and path.endswith("/skip"):
            self._json(route, 200, {"skipped": True})
        elif answer == "ok" and path.endswith("/votes"):
            verdict = self.sent[-1]["verdict"]
            correction = {
                "id": "c0ffee00-0000-4000-8000-000000000001",
                "text": self.sent[-1].get("text"),
            }
            self._json(
                route,
                201,
                {
                    "vote": {"contribution": path.split("/")[1], "verdict": verdict},
                    "correction": correction if verdict == "change" else None,
                },
            )
        elif answer == "ok":
            body = self.sent[-1]
            contribution = {
                "id": "c0ffee00-0000-4000-8000-000000000002",
                "item_id": body["item_id"],
                "language": "hi",
                "task": self.task,
                "text": body["text"],
                "status": "pending",
                "reference": None,
            }
            self._json(route, 201, {"contribution": contribution})
        else:
            assert isinstance(answer, tuple)
            self._json(route, *answer)

    @staticmethod
    def _json(route: Route, status: int, body: dict[str, Any]) -> None:
        route.fulfill(status=status, body=json.dumps(body), content_type="application/json")


def open_page(
    new_person: NewPerson, url: str, api: FakeTasksApi, viewport: ViewportSize = PHONE
) -> Page:
    page = new_person(viewport)
    api.install(page)
    page.goto(url)
    return page


def caret_at(page: Page, selector: str, position: int) -> None:
    page.locator(selector).evaluate(
        f"(box) => {{ box.focus(); box.setSelectionRange({position}, {position}); }}"
    )


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def key(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


# ---- contributing ------------------------------------------------------------------------------


@pytest.mark.slow
def test_transcribe_keys_insert_at_the_caret_and_refusals_show_next_to_the_box(
    live_server: LiveServer, new_person: NewPerson, screenshots: Path
) -> None:
    api = FakeTasksApi(
        "transcribe",
        items=[item(1), item(2)],
        answers=[
            refusal("wrong_script", "This doesn't look like Devanagari."),
            refusal("far_from_reference", "This is far from what we expected. Listen again?"),
            "ok",
            "drop",  # the answer to item 2 is lost once; the page tries again by itself
            "ok",
        ],
    )
    page = open_page(new_person, f"{live_server.url}/transcribe/hi", api)
    box = page.locator("#answer")
    expect(page.locator("#progress-text")).to_have_text("Clip 1 of 5")
    expect(page.locator("#clip")).to_have_attribute("src", "/api/v1/items/1/media?token=t1")
    expect(box).to_have_attribute("lang", "hi")

    # The keys: one tap puts the character at the caret, and the focus stays in the box.
    box.fill("कम")
    caret_at(page, "#answer", 1)
    key(page, "nukta").click()
    expect(box).to_have_value("क" + NUKTA + "म")
    assert focused_id(page) == "answer"
    caret_at(page, "#answer", 3)
    key(page, "virama (halant)").click()
    key(page, "ZWNJ (zero-width non-joiner)").click()
    expect(box).to_have_value("क" + NUKTA + "म" + VIRAMA + ZWNJ)
    for name in (
        "chandrabindu",
        "anusvara",
        "visarga",
        "ZWJ (zero-width joiner)",
        "danda (full stop)",
    ):
        expect(key(page, name)).to_be_visible()
    page.screenshot(path=screenshots / "transcribe-phone.png", full_page=True)

    # A refusal: the server's words next to the box, the box marked, nothing moved on.
    box.fill("kam")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#answer-error")).to_have_text("This doesn't look like Devanagari.")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#progress-text")).to_have_text("Clip 1 of 5")

    # Far from the reference: asked, then confirmed; each a new attempt with its own key.
    box.fill("कमल")
    box.press("Control+Enter")
    expect(page.locator("#answer-error")).to_contain_text("far from what we expected")
    page.get_by_role("button", name="Submit anyway").click()
    expect(page.locator("#progress-text")).to_have_text("Clip 2 of 5")
    expect(page.locator("#answer-error")).to_be_hidden()
    expect(box).to_have_value("")

    # A lost answer is retried with the same key (the server returns the first result).
    box.fill("दो")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.locator("#session-count")).to_have_text("2")

    posts = [body for body in api.sent if body["path"] == "tasks/transcribe/contributions"]
    assert [(body["item_id"], body["text"], body.get("confirmed")) for body in posts] == [
        (1, "kam", None),
        (1, "कमल", None),
        (1, "कमल", True),
        (2, "दो", None),
        (2, "दो", None),
    ]
    keys = [body["idempotency_key"] for body in posts]
    assert len(set(keys[:4])) == 4 and keys[3] == keys[4]
    assert all(8 <= len(k) <= 100 for k in keys)
    assert "tasks/transcribe/languages/hi/items?count=5" in api.paths


@pytest.mark.slow
def test_label_shows_the_image_and_the_urdu_keys(
    live_server: LiveServer, new_person: NewPerson, screenshots: Path
) -> None:
    api = FakeTasksApi("label", items=[item(7, kind="image")])
    page = open_page(new_person, f"{live_server.url}/label/ur", api)
    image = page.get_by_role("img", name=re.compile("Urdu text"))
    box = page.locator("#answer")

    expect(image).to_have_attribute("src", "/api/v1/items/7/media?token=t7")
    expect(image).to_have_attribute("width", "320")
    expect(box).to_have_attribute("dir", "rtl")
    box.fill("کتاب")
    caret_at(page, "#answer", 1)
    key(page, "zer (kasra)").click()
    expect(box).to_have_value("ک" + ZER + "تاب")
    for name in ("zabar (fatha)", "pesh (damma)", "hamza", "ZWNJ (zero-width non-joiner)"):
        expect(key(page, name)).to_be_visible()
    page.screenshot(path=screenshots / "label-phone.png", full_page=True)

    # Skipping the only item ends the round: nothing left, a friendly end with a link home.
    page.get_by_role("button", name="Skip", exact=True).click()
    expect(page.get_by_role("heading", name="Nothing left for you here")).to_be_visible()
    expect(page.get_by_role("link", name="Back to all languages")).to_have_attribute("href", "/")
    assert api.sent == [{"path": "tasks/label/items/7/skip"}]


@pytest.mark.slow
def test_translate_chooser_lists_the_open_pairs_and_the_page_shows_the_source(
    live_server: LiveServer, new_person: NewPerson, screenshots: Path
) -> None:
    api = FakeTasksApi(
        "translate",
        open_tasks=[
            {"task": "translate", "language": "hi", "source_language": "en", "items_open": 12},
            {"task": "translate", "language": "ta", "source_language": "en", "items_open": 1},
            {"task": "transcribe", "language": "hi", "source_language": None, "items_open": 4},
        ],
        answers=[refusal("copy_of_source", "That is the sentence itself. Please translate it.")],
    )
    page = open_page(new_person, f"{live_server.url}/translate", api, DESKTOP)
    cards = page.locator(".pair-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("English to Hindi")
    expect(cards.first).to_contain_text("12 sentences to translate")
    page.screenshot(path=screenshots / "translate-choose-desktop.png", full_page=True)
    page.goto(f"{live_server.url}/translate?to=ta")
    expect(cards).to_have_count(1)
    cards.first.get_by_role("link", name=re.compile("^Translate")).click()
    expect(page).to_have_url(f"{live_server.url}/translate/en/ta")
    expect(page.get_by_role("heading", name="Nothing left for you here")).to_be_visible()

    api.items = [item(3, text="The river is wide.", kind="prompt")]
    page.goto(f"{live_server.url}/translate/en/hi")
    source = page.locator("#source")
    expect(source).to_have_text("The river is wide.")
    expect(source).to_have_attribute("lang", "en")
    page.locator("#answer").fill("The river is wide.")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#answer-error")).to_have_text(
        "That is the sentence itself. Please translate it."
    )
    expect(page.get_by_role("button", name="Submit anyway")).to_be_hidden()
    assert "tasks/translate/languages/hi/items?count=5&from=en" in api.paths


@pytest.mark.slow
def test_a_closed_task_says_so(live_server: LiveServer, new_person: NewPerson) -> None:
    api = FakeTasksApi("label")
    page = new_person(PHONE)
    page.route(
        re.compile(r".*/api/v1/tasks/label/.*"),
        lambda route: FakeTasksApi._json(
            route,
            409,
            {"error": {"code": "task_closed", "message": "Labelling is not open in Tamil."}},
        ),
    )
    page.goto(f"{live_server.url}/label/ta")
    expect(page.get_by_role("heading", name="Not open yet")).to_be_visible()
    expect(page.locator("#closed-reason")).to_have_text("Labelling is not open in Tamil.")
    assert api.sent == []


# ---- checking ----------------------------------------------------------------------------------


def queued(
    number: int, text: str, *, task: str, flagged: bool = False, practice: bool = False
) -> dict[str, Any]:
    """A contribution as GET .../queue answers it."""
    kind = {"transcribe": "audio", "label": "image", "translate": "prompt"}[task]
    shown = item(number, text="The river is wide." if task == "translate" else None, kind=kind)
    shown["source_language"] = "en" if task == "translate" else None
    entry = {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "text": text,
        "flagged": flagged,
        "item": shown,
    }
    if practice:
        entry["practice"] = True
    return entry


@pytest.mark.slow
def test_checking_a_translation_side_by_side_with_a_correction(
    live_server: LiveServer, new_person: NewPerson, screenshots: Path
) -> None:
    api = FakeTasksApi(
        "translate",
        queue=[
            queued(1, "नदी चौड़ी है।", task="translate", flagged=True),
            queued(2, "नदी चौडी है", task="translate"),
        ],
        answers=["ok", refusal("wrong_script", "This doesn't look like Devanagari."), "ok"],
    )
    page = open_page(new_person, f"{live_server.url}/validate/translate/hi?from=en", api, DESKTOP)

    expect(page.locator("#progress-text")).to_have_text("Check 1 of 5")
    expect(page.locator("#source")).to_have_text("The river is wide.")
    expect(page.locator("#source")).to_have_attribute("lang", "en")
    expect(page.locator("#contribution")).to_have_text("नदी चौड़ी है।")
    expect(page.locator("#flagged")).to_be_visible()
    page.screenshot(path=screenshots / "validate-translate-desktop.png", full_page=True)
    page.get_by_role("button", name="Correct", exact=True).click()

    # "Needs a change": the text in a box, corrected (a key at the caret), sent as a correction.
    expect(page.locator("#progress-text")).to_have_text("Check 2 of 5")
    expect(page.locator("#flagged")).to_be_hidden()
    page.get_by_role("button", name="Needs a change").click()
    box = page.locator("#correction")
    expect(box).to_have_value("नदी चौडी है")
    expect(box).to_be_focused()
    caret_at(page, "#correction", 7)  # after ड
    key(page, "nukta").click()
    box.press("End")
    key(page, "danda (full stop)").click()
    page.screenshot(path=screenshots / "validate-translate-change-desktop.png", full_page=True)
    page.get_by_role("button", name="Send correction").click()
    expect(page.locator("#correction-error")).to_have_text("This doesn't look like Devanagari.")
    page.get_by_role("button", name="Send correction").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.locator("#session-corrected")).to_have_text("1")

    votes = [body for body in api.sent if body["path"].endswith("/votes")]
    assert votes[0] == {
        "path": f"contributions/{queued(1, '', task='translate')['id']}/votes",
        "verdict": "accept",
    }
    assert [(v["verdict"], v["text"]) for v in votes[1:]] == [("change", "नदी चौड़ी है।")] * 2
    # A refused text is a new attempt: it is not retried under the first one's key.
    assert votes[1]["idempotency_key"] != votes[2]["idempotency_key"]
    assert "tasks/translate/languages/hi/queue?count=5&from=en" in api.paths


@pytest.mark.slow
def test_checking_a_transcription_waits_for_the_clip_and_shows_practice_answers(
    live_server: LiveServer, new_person: NewPerson
) -> None:
    api = FakeTasksApi(
        "transcribe",
        queue=[queued(4, "नमस्ते", task="transcribe", practice=True)],
        answers=[
            (
                201,
                {
                    "vote": {"contribution": "x", "verdict": "accept"},
                    "correction": None,
                    "practice": {"expected": "reject", "agreed": False},
                },
            )
        ],
    )
    page = open_page(new_person, f"{live_server.url}/validate/transcribe/hi", api)
    correct = page.get_by_role("button", name="Correct", exact=True)

    expect(page.locator("#practice-note")).to_be_visible()
    expect(correct).to_be_disabled()  # not before the clip was heard to the end
    page.keyboard.press("p")
    expect(correct).to_be_enabled()
    page.keyboard.press("y")
    expect(page.locator("#practice-result")).to_have_text(
        "Practice: the expected answer was Needs a change. Your answer was different."
    )
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()


@pytest.mark.slow
def test_checking_an_image_label_with_nothing_in_the_queue(
    live_server: LiveServer, new_person: NewPerson
) -> None:
    page = open_page(new_person, f"{live_server.url}/validate/label/hi", FakeTasksApi("label"))

    expect(page.get_by_role("heading", name="Nothing to check right now")).to_be_visible()
    expect(page.get_by_role("link", name="Label yourself")).to_have_attribute("href", "/label/hi")
