"""The contributor key moves a session to another device, and rotating it revokes the others:
no account, no e-mail, no phone number (app/contributors/keys.py, identity.py)."""

from __future__ import annotations

import io
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
import segno
from flask import Flask

from app import create_app
from app.contributors.identity import COOKIE_NAME, _serializer
from app.contributors.keys import format_key, parse_key
from app.settings import Settings
from tests.api.conftest import Person, count_rows, error_of, new_person, record

KEY = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}-[0-9A-HJKMNP-TV-Z]{2}$")


def reveal(visitor: Person) -> str:
    response = visitor.get("/api/v1/me/key")
    assert response.status_code == 200, response.get_json()
    return str(response.get_json()["key"])


def enter(visitor: Person, key: Any) -> Any:
    return visitor.post("/api/v1/session/key", json={"key": key})


def contributors_state(db: psycopg.Connection) -> list[dict[str, Any]]:
    return db.execute(
        "SELECT id, key_nonce, session_generation FROM contributors ORDER BY id"
    ).fetchall()


def test_the_key_moves_a_session_to_another_device(app: Flask, person, add_sentences, db) -> None:
    first_item, second_item = add_sentences(2)
    phone = person()
    record(phone, first_item)
    phone.put("/api/v1/me/profile", json={"display_name": "Asha"})
    key = reveal(phone)
    assert KEY.match(key), key

    laptop = new_person(app, session=False)
    answer = enter(laptop, key)

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["switched"] is True and body["left_behind"] is None
    assert body["profile"]["display_name"] == "Asha" and body["totals"]["recordings"] == 1
    mine, theirs = phone.get("/api/v1/me").get_json(), laptop.get("/api/v1/me").get_json()
    assert theirs["totals"] == mine["totals"] and theirs["profile"] == mine["profile"]
    record(laptop, second_item)  # a write from the new device lands under the same person
    owners = db.execute("SELECT DISTINCT contributor_id FROM contributions").fetchall()
    assert [row["contributor_id"] for row in owners] == [phone.contributor_id()]
    assert laptop.contributor_id() == phone.contributor_id()
    assert reveal(laptop) == key  # the same key, shown again anywhere


def test_a_key_is_read_the_way_people_type_it(app: Flask, person) -> None:
    owner = person()
    key = reveal(owner)
    typed = [
        key.lower(),
        key.replace("-", " "),
        key.replace("-", ""),
        "  " + key.replace("-", " - ") + "\n",
        key.replace("0", "o").replace("1", "l"),
        f"http://localhost/key#{key}",
    ]
    for text in typed:
        visitor = new_person(app, session=False)
        assert enter(visitor, text).status_code == 200, text
        assert visitor.contributor_id() == owner.contributor_id()


def test_the_key_is_made_once_even_by_two_reveals_at_once(app: Flask, person, db) -> None:
    owner = person()
    cookie = owner.get_cookie(COOKIE_NAME).value
    devices = [new_person(app, session=False) for _ in range(8)]
    for device in devices:
        device.set_cookie(COOKIE_NAME, cookie)
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(reveal, devices))
    assert len(keys) == 1
    nonces = db.execute("SELECT key_nonce FROM contributors WHERE key_nonce IS NOT NULL")
    assert len(nonces.fetchall()) == 1


def test_rotation_revokes_the_other_devices_and_the_old_key(
    app: Flask, person, add_sentences, db
) -> None:
    items = add_sentences(3)
    phone = person()
    record(phone, items[0])
    old_key = reveal(phone)
    laptop = new_person(app, session=False)
    assert enter(laptop, old_key).status_code == 200
    old_cookie = laptop.get_cookie(COOKIE_NAME).value

    rotated = phone.post("/api/v1/me/key/rotate")

    assert rotated.status_code == 200
    new_key = rotated.get_json()["key"]
    assert KEY.match(new_key) and new_key != old_key
    assert f"{COOKIE_NAME}=" in rotated.headers["Set-Cookie"]  # this device moves on with it
    # The old device: refused and cleared, on a write and on a read; nothing written.
    refused = laptop.post("/api/v1/recordings", data={})
    assert error_of(refused) == (401, "session_revoked")
    assert f"{COOKIE_NAME}=;" in refused.headers["Set-Cookie"]
    laptop.set_cookie(COOKIE_NAME, old_cookie)
    assert error_of(laptop.get("/api/v1/me")) == (401, "session_revoked")
    assert laptop.get("/api/v1/me").get_json()["totals"]["recordings"] == 0  # cleared: nobody
    assert count_rows(db, "contributions") == 1
    # The old key no longer opens anything; the device that rotated goes on working.
    assert error_of(enter(new_person(app, session=False), old_key)) == (
        422,
        "invalid_contributor_key",
    )
    record(phone, items[1])
    assert reveal(phone) == new_key
    assert phone.get("/api/v1/me").get_json()["totals"]["recordings"] == 2
    # The new key brings the old device back.
    assert enter(laptop, new_key).status_code == 200
    record(laptop, items[2])
    assert laptop.get("/api/v1/me").get_json()["totals"]["recordings"] == 3


def test_a_revoked_device_is_told_then_starts_a_fresh_visit(app: Flask, person) -> None:
    phone = person()
    laptop = new_person(app, session=False)
    assert enter(laptop, reveal(phone)).status_code == 200
    assert phone.post("/api/v1/me/key/rotate").status_code == 200

    # A page view reads nothing of the database: the page shows, and its first API call
    # meets the refusal (which says why) and clears the cookie.
    assert laptop.get("/key").status_code == 200
    assert error_of(laptop.get("/api/v1/me/key")) == (401, "session_revoked")
    assert laptop.contributor_id() is None

    page = laptop.get("/key")

    assert page.status_code == 200
    assert laptop.contributor_id() not in (None, phone.contributor_id())
    assert laptop.put("/api/v1/me/profile", json={}).status_code == 200


def test_a_revoked_device_can_enter_the_new_key_at_once(app: Flask, person) -> None:
    phone = person()
    laptop = new_person(app, session=False)
    assert enter(laptop, reveal(phone)).status_code == 200
    new_key = phone.post("/api/v1/me/key/rotate").get_json()["key"]

    assert enter(laptop, new_key).status_code == 200  # no 401 first: its cookie is replaced
    assert laptop.contributor_id() == phone.contributor_id()
    assert laptop.put("/api/v1/me/profile", json={}).status_code == 200


def _wrong_mac(key: str) -> str:
    raw = bytearray(parse_key(key))
    raw[-1] ^= 1
    return format_key(bytes(raw))


def _last_char_padding_set(key: str) -> str:
    # The last character carries 3 bits of the key and 2 zero bits: set one of those.
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return key[:-1] + alphabet[alphabet.index(key[-1]) | 1]


HOSTILE = {
    "empty": lambda key: "",
    "null": lambda key: None,
    "a number": lambda key: 12345,
    "a list": lambda key: [key],
    "an object": lambda key: {"key": key},
    "long": lambda key: key * 100,
    "one character short": lambda key: key[:-1],
    "one character more": lambda key: key + "0",
    "unicode digits": lambda key: key.translate(str.maketrans("0123456789", "०१२३४५६७८९")),
    "fullwidth": lambda key: "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in key),
    "U is not Crockford": lambda key: "U" + key[1:],
    "wrong MAC, real nonce": _wrong_mac,
    "padding bits set": _last_char_padding_set,
    "unknown nonce": lambda key: format_key(bytes(16)),
    "a link to another site": lambda key: "https://evil.example/key#" + key[:-2],
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_wrong_key_is_invalid_contributor_key_and_changes_nothing(
    app: Flask, person, db, kind
) -> None:
    owner = person()
    key = reveal(owner)
    visitor = person()
    before, state = visitor.contributor_id(), contributors_state(db)

    response = enter(visitor, HOSTILE[kind](key))

    assert error_of(response) == (422, "invalid_contributor_key")
    assert response.get_json()["error"]["field"] == "key"
    assert "Set-Cookie" not in response.headers
    assert visitor.contributor_id() == before and contributors_state(db) == state


def test_every_wrong_key_gets_the_same_answer(app: Flask, person) -> None:
    key = reveal(person())
    answers = {
        kind: enter(new_person(app, session=False), make(key)).get_json()
        for kind, make in HOSTILE.items()
    }
    assert len({str(answer) for answer in answers.values()}) == 1, answers


def test_guesses_are_limited_per_session_and_per_address(app: Flask, person) -> None:
    key = reveal(person())
    guesser = person()
    wrong = format_key(bytes(16))
    for _ in range(5):
        assert error_of(enter(guesser, wrong)) == (422, "invalid_contributor_key")
    refused = enter(guesser, key)  # even the right key, once over the limit
    assert error_of(refused) == (429, "rate_limited") and int(refused.headers["Retry-After"]) > 0

    # Without a session (a script that drops its cookie), the address's limit stops it.
    address = "198.19.254.1"
    answers = []
    for _ in range(21):
        visitor = new_person(app, session=False)
        visitor.environ_base["REMOTE_ADDR"] = address
        answers.append(error_of(enter(visitor, wrong)))
    assert answers[:20] == [(422, "invalid_contributor_key")] * 20 and answers[20] == (
        429,
        "rate_limited",
    )


def test_the_key_and_its_qr_code_are_never_cached(app: Flask, person) -> None:
    owner = person()
    shown = owner.get("/api/v1/me/key")
    qr = owner.get("/api/v1/me/key.svg")
    rotated = owner.post("/api/v1/me/key/rotate")
    entered = enter(new_person(app, session=False), rotated.get_json()["key"])

    for response in (shown, qr, rotated, entered):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
    body = shown.get_json()
    assert body["url"] == f"http://localhost/key#{body['key']}"
    assert qr.mimetype == "image/svg+xml" and qr.data.lstrip().startswith(b"<svg")
    # The code is of the link that carries the key (as it was before the rotation).
    expected = io.BytesIO()
    segno.make(body["url"], error="m").save(expected, kind="svg", scale=6, border=4, xmldecl=False)
    assert qr.data == expected.getvalue()


def test_the_key_needs_a_session(app: Flask) -> None:
    visitor = new_person(app, session=False)
    assert error_of(visitor.get("/api/v1/me/key")) == (401, "no_session")
    assert error_of(visitor.get("/api/v1/me/key.svg")) == (401, "no_session")
    assert error_of(visitor.post("/api/v1/me/key/rotate")) == (401, "no_session")


def test_a_browser_with_work_of_its_own_is_told_it_stays_behind(
    app: Flask, person, add_sentences, db
) -> None:
    mine, theirs = add_sentences(2)
    phone, laptop = person(), person()
    record(phone, mine)
    record(laptop, theirs)
    left_id = laptop.contributor_id()

    body = enter(laptop, reveal(phone)).get_json()

    assert body["switched"] is True
    assert body["left_behind"] == {"contributions": 1, "validations": 0}
    assert laptop.contributor_id() == phone.contributor_id()
    kept = db.execute("SELECT contributor_id FROM contributions WHERE item_id = %s", (theirs,))
    assert kept.fetchone()["contributor_id"] == left_id  # it stays with the old anonymous id
    # Entering one's own key again switches nothing and leaves nothing behind.
    again = enter(phone, reveal(phone)).get_json()
    assert again["switched"] is False and again["left_behind"] is None


def test_cookies_from_before_generations_still_work(app: Flask, person, db) -> None:
    owner = person()
    me = owner.contributor_id()
    with app.test_request_context():
        old_format = _serializer().dumps(str(me))  # the id alone, as cookies were
    device = new_person(app, session=False)
    device.set_cookie(COOKIE_NAME, old_format)

    assert device.put("/api/v1/me/profile", json={"display_name": "Ravi"}).status_code == 200
    assert owner.get("/api/v1/me").get_json()["profile"]["display_name"] == "Ravi"
    # They count as generation 0: a rotation revokes them too.
    assert owner.post("/api/v1/me/key/rotate").status_code == 200
    assert error_of(device.get("/api/v1/me")) == (401, "session_revoked")


@pytest.mark.parametrize("value", [["x", 0], [str(uuid.uuid4()), -1], [str(uuid.uuid4()), True],
                                   [str(uuid.uuid4())], {"id": "x"}, 7])  # fmt: skip
def test_a_signed_cookie_of_another_shape_is_invalid(app: Flask, value: Any) -> None:
    device = new_person(app, session=False)
    with app.test_request_context():
        device.set_cookie(COOKIE_NAME, _serializer().dumps(value))
    assert error_of(device.get("/api/v1/me")) == (401, "invalid_session")


def test_another_worker_takes_the_newer_cookie_of_the_device_that_rotated(
    app: Flask, person, settings: Settings, database_url: str
) -> None:
    phone = person()
    other_worker = create_app(settings, database_url=database_url)
    try:
        worker_client = other_worker.test_client()
        worker_client.set_cookie(COOKIE_NAME, phone.get_cookie(COOKIE_NAME).value)
        assert worker_client.get("/api/v1/me").status_code == 200  # remembers generation 0
        assert phone.post("/api/v1/me/key/rotate").status_code == 200
        worker_client.set_cookie(COOKIE_NAME, phone.get_cookie(COOKIE_NAME).value)
        assert worker_client.put("/api/v1/me/profile", json={}).status_code == 200
    finally:
        other_worker.extensions["crowdsource.db"].close()


def test_two_rotations_at_once_leave_one_key_and_one_device(app: Flask, person, db) -> None:
    phone = person()
    laptop = new_person(app, session=False)
    assert enter(laptop, reveal(phone)).status_code == 200
    owner = phone.contributor_id()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda d: d.post("/api/v1/me/key/rotate"), (phone, laptop)))

    # Either both rotate (one after the other, on the row's lock), or the second is already
    # revoked by the first when it is read: never two keys or two devices left working.
    rotated = [a.status_code == 200 for a in answers]
    assert all(a.status_code == 200 or error_of(a) == (401, "session_revoked") for a in answers)
    (row,) = contributors_state(db)
    assert row["session_generation"] == sum(rotated) >= 1
    works = [
        ok and enter(new_person(app, session=False), a.get_json()["key"]).status_code == 200
        for ok, a in zip(rotated, answers, strict=True)
    ]
    assert sorted(works) == [False, True]  # the later rotation's key, only
    kept = [
        d.get("/api/v1/me").status_code == 200 and d.contributor_id() == owner
        for d in (phone, laptop)
    ]
    assert kept == works  # and its device, only (a refused one's cookie is cleared)
