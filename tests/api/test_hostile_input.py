"""Hostile text anywhere in a request answers 4xx JSON and writes nothing.

Three kinds of text PostgreSQL cannot hold or a client should never send: an unpaired UTF-16
surrogate (the JSON escape "\\ud800", or its UTF-8-like bytes ED A0 80), bytes that are not
UTF-8, and the NUL character. Each is sent in every place a request carries text (JSON
strings and keys, form fields, a file's name, query parameters, path segments, headers, the
cookie) to every endpoint that reads it; the answer is a 4xx with the usual error body
(`invalid_input` naming the field where it can), and no row of any table changes.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.settings import Settings
from tests.api.conftest import clip, error_of

TABLES = (
    "contributors", "dataset_rows", "contributions", "validations", "skips", "reports",
    "feedback", "upload_refusals", "clip_servings", "validator_standing",
)  # fmt: skip
# A JSON string literal for each hostile text (json.dumps would refuse to write the surrogate
# as UTF-8, so the escapes are written by hand, as an attacker's script would).
JSON_TEXTS = {
    "lone surrogate": '"\\ud800"',
    "low surrogate": '"x\\udfff"',
    "NUL": '"a\\u0000b"',
}
# Raw bytes inside a JSON string or a form field.
RAW_BYTES = {"invalid UTF-8": b"\xff\xfe", "encoded surrogate": b"\xed\xa0\x80", "NUL": b"a\x00b"}
# What a URL carries, percent-encoded.
URL_TEXTS = {"invalid UTF-8": "%FF", "encoded surrogate": "%ED%A0%80", "NUL": "a%00b"}
# The same, as the WSGI server hands the decoded path to the app (bytes as latin-1).
PATH_TEXTS = {"invalid UTF-8": "\xff", "encoded surrogate": "\xed\xa0\x80", "NUL": "a\x00b"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Limits off: a refused request is what is under test, not a 429."""
    return replace(settings, rate_limits=False)


def snapshot(db: psycopg.Connection) -> dict[str, Any]:
    """Row counts of every table a write touches, the profiles and the report counts."""
    counts = {
        table: db.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"] for table in TABLES
    }
    profiles = db.execute(
        "SELECT display_name, age_group, gender, mother_tongue, region_code FROM contributors"
        " ORDER BY id"
    ).fetchall()
    reported = db.execute(
        "SELECT (SELECT coalesce(sum(report_count), 0) FROM dataset_rows)"
        " + (SELECT coalesce(sum(report_count), 0) FROM contributions) AS n"
    ).fetchone()["n"]
    return {**counts, "profiles": profiles, "report_count": reported}


def with_session(app: Flask) -> FlaskClient:
    """A visitor with a session (before sessions exist, the route answers 404/405)."""
    client = app.test_client()
    response = client.post("/api/v1/session")
    assert response.status_code in (200, 201, 404, 405), response.get_data()
    return client


@pytest.fixture
def visitor(app: Flask) -> FlaskClient:
    return with_session(app)


@pytest.fixture
def recording(db: psycopg.Connection, add_sentences: Callable[..., list[int]]) -> str:
    """Someone else's pending recording, as an upload leaves it."""
    (item,) = add_sentences(1)
    owner, public_id = uuid.uuid4(), uuid.uuid4()
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (owner,))
    db.execute(
        "INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,"
        " idempotency_key, media_key, media_type, size_bytes, duration_ms)"
        " VALUES (%s, %s, %s, 'hi', 'recording', %s, %s, 'audio/wav', 1000, 2000)",
        (public_id, owner, item, uuid.uuid4().hex, f"recordings/{public_id}.wav"),
    )
    return str(public_id)


def assert_refused(response: Any, *codes: str) -> None:
    status, code = error_of(response)
    assert 400 <= status < 500, (status, code)
    assert code in (codes or ("invalid_input",)), response.get_json()


def send_json(client: FlaskClient, method: str, path: str, body: str | bytes) -> Any:
    return client.open(path, method=method, data=body, content_type="application/json")


# --- JSON bodies: every string and key of every write that takes JSON ----------------------

PROFILE = "/api/v1/me/profile"
JSON_WRITES = {
    "profile display_name": ("PUT", PROFILE, '{"display_name": %s}', "display_name"),
    "profile mother_tongue": ("PUT", PROFILE, '{"mother_tongue": %s}', "mother_tongue"),
    "profile region_code": ("PUT", PROFILE, '{"region_code": %s}', "region_code"),
    "profile age_group": ("PUT", PROFILE, '{"age_group": %s}', "age_group"),
    "profile key": ("PUT", PROFILE, '{%s: "x"}', None),
    "vote verdict": ("POST", "/api/v1/recordings/{rec}/votes", '{"verdict": %s}', "verdict"),
    "vote extra field": (
        "POST", "/api/v1/recordings/{rec}/votes", '{"verdict": "accept", "why": [%s]}', "why",
    ),
    "vote key": ("POST", "/api/v1/recordings/{rec}/votes", '{"verdict": "accept", %s: 1}', None),
    "report note": (
        "POST", "/api/v1/reports",
        '{"target": "recording", "id": "{rec}", "reason": "other", "note": %s}', "note",
    ),
    "report id": ("POST", "/api/v1/reports", '{"target": "recording", "id": %s, '
                  '"reason": "offensive"}', "id"),
    "report reason": ("POST", "/api/v1/reports",
                      '{"target": "recording", "id": "{rec}", "reason": %s}', "reason"),
}  # fmt: skip


@pytest.mark.parametrize("kind", JSON_TEXTS)
@pytest.mark.parametrize("case", JSON_WRITES)
def test_hostile_text_in_a_json_body_is_refused_and_nothing_is_written(
    visitor: FlaskClient, db: psycopg.Connection, recording: str, case: str, kind: str
) -> None:
    method, path, template, field = JSON_WRITES[case]
    body = template.replace("{rec}", recording) % JSON_TEXTS[kind]
    before = snapshot(db)

    response = send_json(visitor, method, path.replace("{rec}", recording), body)

    assert_refused(response)
    assert response.get_json()["error"].get("field") == field
    assert snapshot(db) == before


@pytest.mark.parametrize("kind", RAW_BYTES)
@pytest.mark.parametrize("case", [c for c in JSON_WRITES if JSON_WRITES[c][3] is not None])
def test_raw_bytes_that_are_not_text_in_a_json_body_are_refused(
    visitor: FlaskClient, db: psycopg.Connection, recording: str, case: str, kind: str
) -> None:
    method, path, template, _ = JSON_WRITES[case]
    body = (template.replace("{rec}", recording) % '"@"').encode().replace(b"@", RAW_BYTES[kind])
    before = snapshot(db)

    response = send_json(visitor, method, path.replace("{rec}", recording), body)

    # (A raw control character is not JSON at all: JSON strings escape them.)
    assert_refused(response, "invalid_input", "invalid_json")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "body",
    [
        "[" * 50_000,  # nested deeper than the parser's recursion limit
        '{"verdict": ' + "[" * 20_000 + "]" * 20_000 + "}",
        '{"verdict": NaN}',
        '{"verdict": "accept", "n": 1e400}',
        '{"verdict": "accept", "n": ' + "9" * 5_000 + "}",
        '\ufeff{"verdict": "accept"}',
    ],
    ids=["deep array", "deep value", "NaN", "infinite number", "huge integer", "BOM"],
)
def test_json_that_only_python_would_read_is_refused(
    visitor: FlaskClient, db: psycopg.Connection, recording: str, body: str
) -> None:
    before = snapshot(db)
    response = send_json(visitor, "POST", f"/api/v1/recordings/{recording}/votes", body)
    assert_refused(response, "invalid_json", "too_large")
    assert snapshot(db) == before


# --- Uploads: form fields and the file's name -----------------------------------------------


def multipart(fields: dict[bytes, bytes], filename: bytes, audio: bytes) -> tuple[bytes, str]:
    """A multipart body written byte by byte (the test client would encode the text itself)."""
    boundary = b"----hostile" + uuid.uuid4().hex.encode()
    parts = [
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name
        + b'"\r\n\r\n' + value + b"\r\n"
        for name, value in fields.items()
    ]  # fmt: skip
    parts.append(
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="audio"; filename="'
        + filename + b'"\r\nContent-Type: audio/wav\r\n\r\n' + audio + b"\r\n"
    )  # fmt: skip
    body = b"".join(parts) + b"--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}"


@pytest.mark.parametrize("kind", RAW_BYTES)
@pytest.mark.parametrize("place", ["item_id", "idempotency_key", "filename", "field name"])
def test_hostile_text_in_an_upload_is_refused_and_nothing_is_written(
    visitor: FlaskClient,
    db: psycopg.Connection,
    add_sentences: Callable[..., list[int]],
    place: str,
    kind: str,
) -> None:
    (item,) = add_sentences(1)
    fields = {b"item_id": str(item).encode(), b"idempotency_key": uuid.uuid4().hex.encode()}
    filename = b"take.wav"
    bad = RAW_BYTES[kind]
    if place == "filename":
        filename = b"take" + bad + b".wav"
    elif place == "field name":
        fields[bad] = b"1"
    else:
        fields[place.encode()] += bad
    body, content_type = multipart(fields, filename, clip("hi_1.wav"))
    before = snapshot(db)

    response = visitor.post("/api/v1/recordings", data=body, content_type=content_type)

    if place in ("filename", "field name") and kind != "NUL":
        # A part header that is not UTF-8 cannot be read: werkzeug sees no form at all.
        assert_refused(response, "missing_field")
    else:
        assert_refused(response)
    if place in ("item_id", "idempotency_key"):
        assert response.get_json()["error"]["field"] == place
    assert snapshot(db) == before


@pytest.mark.parametrize("kind", RAW_BYTES)
def test_a_urlencoded_upload_that_is_not_text_is_refused(
    visitor: FlaskClient, db: psycopg.Connection, kind: str
) -> None:
    before = snapshot(db)
    body = b"item_id=1&idempotency_key=" + RAW_BYTES[kind]
    response = visitor.post(
        "/api/v1/recordings", data=body, content_type="application/x-www-form-urlencoded"
    )
    # Not multipart: werkzeug gives an empty form (unreadable) or one without the file.
    assert_refused(response, "invalid_input", "missing_field")
    assert snapshot(db) == before


# --- Query strings and path segments, on reads and writes -----------------------------------

QUERIES = {
    "sentences count": ("GET", "/api/v1/languages/hi/sentences", "count"),
    "clips count": ("GET", "/api/v1/languages/hi/clips", "count"),
    "contributions page": ("GET", "/api/v1/me/contributions", "page"),
    "contributions per_page": ("GET", "/api/v1/me/contributions", "per_page"),
    "audio token": ("GET", "/api/v1/recordings/{rec}/audio", "token"),
    "languages (unread)": ("GET", "/api/v1/languages", "q"),
    "me (unread)": ("GET", "/api/v1/me", "q"),
    "vote (unread)": ("POST", "/api/v1/recordings/{rec}/votes", "q"),
    "session (unread)": ("POST", "/api/v1/session", "q"),
}


@pytest.mark.parametrize("kind", URL_TEXTS)
@pytest.mark.parametrize("case", QUERIES)
def test_hostile_text_in_a_query_parameter_is_refused(
    visitor: FlaskClient, db: psycopg.Connection, recording: str, case: str, kind: str
) -> None:
    method, path, name = QUERIES[case]
    before = snapshot(db)
    response = visitor.open(
        path.replace("{rec}", recording),
        method=method,
        query_string=f"{name}={URL_TEXTS[kind]}",
        json={"verdict": "accept"} if method == "POST" else None,
    )
    assert_refused(response)
    assert response.get_json()["error"]["field"] == name
    assert snapshot(db) == before


def test_hostile_text_in_a_query_parameter_name_is_refused(visitor: FlaskClient) -> None:
    response = visitor.get("/api/v1/languages/hi/sentences", query_string="%ED%A0%80=1")
    assert_refused(response)


PATHS = {
    "sentences": ("GET", "/api/v1/languages/{x}/sentences", "code"),
    "clips": ("GET", "/api/v1/languages/{x}/clips", "code"),
    "audio": ("GET", "/api/v1/recordings/{x}/audio", "public_id"),
    "vote": ("POST", "/api/v1/recordings/{x}/votes", "public_id"),
    "recording skip": ("POST", "/api/v1/recordings/{x}/skip", "public_id"),
    "sentence skip": ("POST", "/api/v1/sentences/{x}/skip", None),
    "unknown path": ("GET", "/api/v1/{x}", None),
}


@pytest.mark.parametrize("kind", PATH_TEXTS)
@pytest.mark.parametrize("case", PATHS)
def test_hostile_text_in_a_path_segment_is_refused(
    visitor: FlaskClient, db: psycopg.Connection, case: str, kind: str
) -> None:
    method, path, field = PATHS[case]
    before = snapshot(db)
    response = visitor.open(
        "/",
        method=method,
        json={"verdict": "accept"} if method == "POST" else None,
        environ_overrides={"PATH_INFO": path.replace("{x}", PATH_TEXTS[kind])},
    )
    assert_refused(response)
    if field:
        assert response.get_json()["error"]["field"] == field
    assert snapshot(db) == before


def test_text_that_is_merely_not_ascii_is_welcome(
    visitor: FlaskClient, db: psycopg.Connection, recording: str
) -> None:
    """The guard refuses what cannot be stored, not Indic text, emoji or U+FFFD."""
    devanagari = "हि".encode().decode("latin-1")  # as the WSGI server hands it over
    response = visitor.open(
        "/", environ_overrides={"PATH_INFO": f"/api/v1/languages/{devanagari}/clips"}
    )
    assert error_of(response) == (404, "unknown_language")
    note = "आवाज़ में गूँज है 🎙 \ufffd"
    report = {"target": "recording", "id": recording, "reason": "other", "note": note}
    assert visitor.post("/api/v1/reports", json=report).status_code == 201
    assert db.execute("SELECT note FROM reports").fetchone()["note"] == note
    saved = visitor.put("/api/v1/me/profile", json={"display_name": "आशा 🌼"})
    assert saved.status_code == 200, saved.get_json()


# --- Headers and the cookie -----------------------------------------------------------------


@pytest.mark.parametrize("header", ["User-Agent", "Origin", "X-Request-Id", "Accept-Language"])
def test_a_nul_in_a_header_is_refused(
    visitor: FlaskClient, db: psycopg.Connection, recording: str, header: str
) -> None:
    before = snapshot(db)
    response = visitor.post(
        f"/api/v1/recordings/{recording}/votes",
        json={"verdict": "accept"},
        headers={header: "a\x00b"},
    )
    assert_refused(response)
    assert snapshot(db) == before


@pytest.mark.parametrize("value", ["a\x00b", "\xff\xfe", "\xed\xa0\x80", "%00"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/me"), ("POST", "/api/v1/session"), ("PUT", "/api/v1/me/profile")],
)
def test_a_hostile_cookie_is_refused(
    app: Flask, db: psycopg.Connection, method: str, path: str, value: str
) -> None:
    before = snapshot(db)
    response = app.test_client(use_cookies=False).open(
        path,
        method=method,
        json={"display_name": "Asha"} if method == "PUT" else None,
        environ_overrides={"HTTP_COOKIE": f"cs_id={value}"},
    )
    assert_refused(response, "invalid_input", "invalid_session")
    assert snapshot(db) == before


# --- The last lines of defence --------------------------------------------------------------


def test_text_the_database_driver_cannot_encode_answers_400_not_500(
    app: Flask, db: psycopg.Connection
) -> None:
    """Should a route ever hand the driver an unpaired surrogate (past app.inputs), the
    answer is still 400 invalid_input; the same error raised elsewhere stays a 500."""

    def to_database() -> str:
        with app.extensions["crowdsource.db"].connection() as conn:
            conn.execute("SELECT %s::text", ("\ud800",))
        return "unreachable"

    def elsewhere() -> str:
        return "\ud800".encode().decode()

    app.add_url_rule("/api/v1/_test/driver", view_func=to_database)
    app.add_url_rule("/api/v1/_test/elsewhere", view_func=elsewhere)
    client = app.test_client()
    assert error_of(client.get("/api/v1/_test/driver")) == (400, "invalid_input")
    assert error_of(client.get("/api/v1/_test/elsewhere")) == (500, "internal_error")


def test_an_error_message_that_quotes_hostile_input_still_encodes(app: Flask) -> None:
    from app.errors import BadRequest

    def echo() -> str:
        raise BadRequest("Unknown value '\ud800'.", field="\udcff")

    app.add_url_rule("/api/v1/_test/echo", view_func=echo)
    response = app.test_client().get("/api/v1/_test/echo")
    body = json.loads(response.get_data())
    assert response.status_code == 400
    assert body["error"] == {
        "code": "bad_request", "message": "Unknown value '\\ud800'.", "field": "\\udcff",
    }  # fmt: skip


def test_an_upload_still_works_through_the_checked_form(
    visitor: FlaskClient, db: psycopg.Connection, add_sentences: Callable[..., list[int]]
) -> None:
    """The stricter form parser reads a browser's upload as before (a file name in Hindi)."""
    (item,) = add_sentences(1)
    data = {
        "item_id": str(item),
        "idempotency_key": uuid.uuid4().hex,
        "audio": (io.BytesIO(clip("hi_1.wav")), "वाक्य.wav"),
    }
    response = visitor.post("/api/v1/recordings", data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
