"""The contributor key in real Chromium: revealed on a phone, opened on a laptop from the QR
code's link (/key#KEY), confirmed there, and the laptop is the same contributor; replacing the
key on the phone takes the laptop's access away."""

from __future__ import annotations

import re
import uuid

import psycopg
from playwright.sync_api import Page, expect

from tests.api.conftest import clip
from tests.browser.conftest import LiveServer, NewPerson

PHONE_390 = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def add_sentence(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "INSERT INTO dataset_rows (language_code, kind, text)"
            " VALUES ('hi', 'sentence', %s) RETURNING id",
            (f"नमस्ते दुनिया {uuid.uuid4().hex[:6]}",),
        ).fetchone()
    assert row
    return int(row[0])


def record_from(page: Page, base: str, sentence: int) -> None:
    """A recording from this browser's session (the page's cookie), through the API."""
    uploaded = page.request.post(
        f"{base}/api/v1/recordings",
        multipart={
            "item_id": str(sentence),
            "idempotency_key": uuid.uuid4().hex,
            "audio": {"name": "take.wav", "mimeType": "audio/wav", "buffer": clip("hi_1.wav")},
        },
    )
    assert uploaded.status == 201, uploaded.text()


def test_a_key_revealed_on_one_browser_moves_the_contributor_to_another(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    phone = new_person(viewport=PHONE_390)
    phone.goto(f"{live_server.url}/key")
    record_from(phone, live_server.url, add_sentence(database_url))

    # The key is hidden until asked for; then the text and its QR code show.
    expect(phone.locator("#key-shown")).to_be_hidden()
    phone.get_by_role("button", name="Show my key").click()
    key_text = phone.locator("#key-text")
    expect(key_text).to_have_text(re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}-[0-9A-Z]{2}$"))
    key = key_text.inner_text()
    qr = phone.get_by_role("img", name="QR code of the link that carries your key")
    expect(qr).to_be_visible()
    phone.wait_for_function("document.getElementById('key-qr').naturalWidth > 0")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # The laptop opens the QR code's link: the key is filled in, the fragment leaves the URL,
    # and nothing happens until the volunteer confirms.
    laptop = new_person(viewport=LAPTOP)
    laptop.goto(f"{live_server.url}/key#{key}")
    field = laptop.get_by_label("Contributor key")
    expect(field).to_have_value(key)
    expect(laptop).to_have_url(f"{live_server.url}/key")
    expect(laptop.locator("#enter-link-note")).to_be_visible()
    use = laptop.get_by_role("button", name="Use this key")
    expect(use).to_be_focused()
    use.click()
    expect(laptop.locator("#entered")).to_have_text(
        "This browser now continues as the contributor of this key, who has 1 contribution or vote."
    )
    laptop.goto(f"{live_server.url}/me/contributions")
    expect(laptop.locator("#total-recordings")).to_have_text("1")

    # A new key on the phone: the laptop loses access, the phone keeps it.
    phone.get_by_role("button", name="Make a new key").click()
    phone.get_by_role("button", name="Yes, make a new key").click()
    expect(phone.locator("#key-status")).to_have_text(
        "A new key was made. Your other devices have lost access: enter the new key there."
    )
    expect(key_text).not_to_have_text(key)
    # The laptop's next page is told why (its first API call meets the refusal, which clears
    # the cookie); the one after is a fresh visit.
    laptop.reload()
    expect(laptop.locator("#alert")).to_contain_text("This device no longer has access")
    laptop.reload()
    expect(laptop.locator("#total-recordings")).to_have_text("0")
    phone.goto(f"{live_server.url}/me/contributions")
    expect(phone.locator("#total-recordings")).to_have_text("1")


def test_a_browser_with_work_of_its_own_is_warned_before_it_takes_a_key(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    page = new_person(viewport=PHONE_390)
    page.goto(f"{live_server.url}/key")
    expect(page.locator("#left-behind-note")).to_be_hidden()  # nothing made here yet
    record_from(page, live_server.url, add_sentence(database_url))
    page.reload()
    expect(page.locator("#left-behind-note")).to_be_visible()

    page.get_by_label("Contributor key").fill("ABCD-EFGH")
    page.get_by_role("button", name="Use this key").click()
    expect(page.locator("#key-input-error")).to_contain_text("This key is not valid.")
    expect(page.get_by_label("Contributor key")).to_have_attribute("aria-invalid", "true")
