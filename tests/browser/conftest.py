"""Fixtures for the browser tests: the real app served on a local port, and a headless
Chromium with a fake microphone that speaks Hindi (Debian's /usr/bin/chromium, driven by
Playwright)."""

from __future__ import annotations

import threading
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import psycopg
import pytest
from flask import Flask, Response
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)
from psycopg.rows import dict_row
from werkzeug.serving import make_server

from app import create_app
from app.sentences.demo import load_demo_items, load_demo_sentences_if_empty
from app.settings import Settings
from tests.conftest import SAMPLE_AUDIO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests may run as root in a container
    "--use-fake-ui-for-media-stream",  # grant the microphone without a prompt
    "--use-fake-device-for-media-stream",  # a fake microphone: it beeps unless given a file
    "--disable-background-networking",  # no calls to Google's servers
    "--disable-component-update",
    "--autoplay-policy=no-user-gesture-required",
]
# What the fake microphone says, over and over: the server refuses takes without speech, and
# Chromium's own fake microphone only beeps.
FAKE_MICROPHONE_CLIPS = ("hi_1.wav", "hi_2.wav", "hi_3.wav", "hi_4.wav")
FAKE_MICROPHONE_RATE = 48_000
# The policy the pages are built for: nothing inline, nothing from another host. The live server
# sends it on every answer, so a page that breaks it fails its browser test (the browser logs
# each violation as a console error, which the tests collect).
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; form-action 'self'; "
    "base-uri 'none'; "
    "frame-ancestors 'none'"
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000  # the longest any single UI state may take to appear

# new_person(viewport=PHONE, init_scripts=()) -> a page of a new visitor
NewPerson = Callable[..., Page]


def _watch_for_problems(page: Page, problems: list[str]) -> None:
    """Collect the page's script errors and CSP violations into `problems`.

    The browser's "Failed to load resource" lines are left out: the API answers 4xx on
    purpose (a refused recording, say) and the pages show those answers to the volunteer.
    """

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"{page.url}: {message.text}")

    def on_page_error(error: Error) -> None:
        problems.append(f"{page.url}: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)


@dataclass(frozen=True)
class LiveServer:
    """The running app: its base URL and the Flask app (for its storage and settings)."""

    url: str
    app: Flask


@pytest.fixture
def live_server(settings: Settings, database_url: str) -> Iterator[LiveServer]:
    """The real app (fresh migrated database, local storage folder) on 127.0.0.1, threaded,
    answering with a strict Content-Security-Policy."""
    app = create_app(settings, database_url=database_url)

    @app.after_request
    def strict_csp(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", STRICT_CSP)
        return response

    # Open the pool before requests arrive on several threads at once (Database opens it
    # lazily, and two first requests racing would each make one).
    app.extensions["crowdsource.db"].pool  # noqa: B018
    server = make_server("127.0.0.1", 0, app, threaded=True)  # port 0: the OS picks a free one
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["crowdsource.db"].close()


def speaking_microphone_wav(path: Path) -> Path:
    """A 48 kHz mono 16-bit wav of the Hindi sample clips read one after the other, their
    leading and trailing pauses cut so that any second of it (it loops) holds speech."""
    pieces = []
    for name in FAKE_MICROPHONE_CLIPS:
        with av.open(str(SAMPLE_AUDIO / name)) as container:
            resampler = av.AudioResampler(format="s16", layout="mono", rate=FAKE_MICROPHONE_RATE)
            for frame in container.decode(audio=0):
                pieces += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            pieces += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
            pieces.append(np.zeros(FAKE_MICROPHONE_RATE // 10, dtype=np.int16))
    samples = np.concatenate(pieces)
    loud = np.flatnonzero(np.abs(samples) > 500)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(FAKE_MICROPHONE_RATE)
        out.writeframes(samples[loud[0] : loud[-1] + 1].astype("<i2").tobytes())
    return path


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chromium for the test run; each test opens its own contexts (people).
    Its fake microphone reads Hindi sentences (`speaking_microphone_wav`)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium to run the browser tests")
    speech = speaking_microphone_wav(tmp_path_factory.mktemp("microphone") / "speech.wav")
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={speech}"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        yield browser
        browser.close()


@pytest.fixture
def new_person(browser: Browser) -> Iterator[NewPerson]:
    """Open pages for new visitors, each in its own context (own cookie, own local storage).

    `init_scripts` run in every page before the page's own scripts (to set local storage or
    replace a browser API). The test fails if any page had a script error or CSP violation.
    """
    yield from people_of(browser, PHONE)


def people_of(browser: Browser, default_viewport: ViewportSize) -> Iterator[NewPerson]:
    """The `new_person` opener on `browser` (a fixture's body: yields it once, then closes the
    contexts and fails the test on any script error or CSP violation seen)."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def open_page(
        viewport: ViewportSize = default_viewport, init_scripts: tuple[str, ...] = ()
    ) -> Page:
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        for script in init_scripts:
            context.add_init_script(script)
        contexts.append(context)
        page = context.new_page()
        _watch_for_problems(page, problems)
        return page

    expect.set_options(timeout=TIMEOUT_MS)
    yield open_page
    for context in contexts:
        context.close()
    assert problems == []


@pytest.fixture
def demo(live_server: LiveServer, database_url: str) -> str:
    """The live server with the demo sentences and task items loaded; its URL."""
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        load_demo_sentences_if_empty(conn)
        load_demo_items(conn, live_server.app.extensions["crowdsource.storage"])
    return live_server.url


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the tests save screenshots for a person to look at (gitignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
