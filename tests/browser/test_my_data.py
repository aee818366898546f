"""The "Your data" page in real Chromium on a 390 px phone: the zip downloads; deleting asks
in a dialog (tick to confirm), then shows what was removed, and the rows and objects are gone."""

from __future__ import annotations

import uuid
import zipfile

import psycopg
from playwright.sync_api import expect
from psycopg.rows import dict_row

from tests.browser.conftest import LiveServer, NewPerson

PHONE_390 = {"width": 390, "height": 844}


def test_download_then_delete_my_data_from_the_page(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    page = new_person(viewport=PHONE_390)
    page.goto(f"{live_server.url}/profile")  # a page view brings the session
    storage = live_server.app.extensions["crowdsource.storage"]
    key = f"recordings/hi/ab/{uuid.uuid4()}.wav"
    storage.put(key, b"RIFF-not-really-audio", content_type="audio/wav")
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as db:
        (me,) = [row["id"] for row in db.execute("SELECT id FROM contributors")]
        item = db.execute(
            "INSERT INTO dataset_rows (language_code, kind, text) VALUES"
            " ('hi', 'sentence', 'मेरा वाक्य') RETURNING id"
        ).fetchone()["id"]
        db.execute(
            """INSERT INTO contributions (public_id, contributor_id, item_id, language_code,
                                          kind, idempotency_key, media_key, size_bytes)
               VALUES (%s, %s, %s, 'hi', 'recording', %s, %s, 21)""",
            (uuid.uuid4(), me, item, uuid.uuid4().hex, key),
        )

    page.goto(f"{live_server.url}/my-data")
    expect(page.get_by_role("heading", name="Your data", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="How we handle your data")).to_have_attribute(
        "href", "/privacy"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        names = archive.namelist()
        assert "profile.json" in names and "README.txt" in names
        (audio,) = [n for n in names if n.startswith("recordings/")]
        assert archive.read(audio) == b"RIFF-not-really-audio"

    page.get_by_role("button", name="Delete my data").click()
    dialog = page.get_by_role("dialog", name="Delete all your data?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete for good").click()  # not ticked: nothing sent
    expect(dialog).to_be_visible()
    with psycopg.connect(database_url, row_factory=dict_row) as db:
        assert db.execute("SELECT count(*) AS n FROM contributions").fetchone()["n"] == 1
    dialog.get_by_label("I understand that my data will be deleted for good.").check()
    dialog.get_by_role("button", name="Delete for good").click()

    done = page.get_by_role("heading", name="Your data was deleted")
    expect(done).to_be_visible()
    expect(dialog).to_be_hidden()
    expect(page.locator("#removed-recordings")).to_have_text("1")
    expect(page.locator("#removed-objects_deleted")).to_have_text("1")
    with psycopg.connect(database_url, row_factory=dict_row) as db:
        assert db.execute("SELECT count(*) AS n FROM contributions").fetchone()["n"] == 0
        assert db.execute("SELECT 1 FROM contributors WHERE id = %s", (me,)).fetchone() is None
        assert db.execute("SELECT requested_by FROM erasures").fetchone() == {
            "requested_by": "volunteer"
        }
    assert not storage.exists(key)
    assert not [c for c in page.context.cookies() if c["name"] == "cs_id"]
