"""/api/v1/openapi.json is a valid OpenAPI 3.1 document, and a true one.

Every route is documented (and nothing else is), and real answers match it: in these tests
each person's client checks every response it gets against the document (status listed for
the operation, JSON body valid against the documented schema, error code listed for that
status), so a journey through the API and a tour of its errors prove the document right.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, ClassVar

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from psycopg.types.json import Jsonb
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app import create_app
from app.api.openapi import ERROR_STATUS, openapi_document
from app.contribute.opening import make_prompts, set_task
from app.errors import CrowdsourceError
from app.settings import Settings
from app.tasks import LABEL, TRANSCRIBE, TRANSLATE
from tests.api.conftest import Person, clip, error_of, record, silence, upload

DOC = openapi_document()
DOC_URI = "urn:crowdsource:openapi"
REGISTRY: Registry = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(DOC))
DOCUMENTED = ("/api/v1/", "/healthz", "/readyz")
SKIPPED_METHODS = {"HEAD", "OPTIONS"}

Seen = set[tuple[str, str, int]]  # (OpenAPI path, method, status)


def openapi_path(flask_rule: str) -> str:
    """`/recordings/<public_id>/votes` -> `/recordings/{public_id}/votes`."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", flask_rule)


def schema_errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Why `instance` does not match `schema` (whose $refs point into the document)."""
    validator = Draft202012Validator(
        {"$ref": f"{DOC_URI}#/components/schemas/{schema['$ref'].rsplit('/', 1)[1]}"},
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def documented_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(DOCUMENTED)
        for method in rule.methods or ()
        if method not in SKIPPED_METHODS
    }


class ContractClient(FlaskClient):
    """A test client that checks each answer against the document as it arrives."""

    seen: ClassVar[Seen]

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        path, method = response.request.path, response.request.method
        if path.startswith(DOCUMENTED):
            self._check(path, method, response, kwargs.get("json"))
        return response

    def _check(self, path: str, method: str, response: Any, sent_json: Any) -> None:
        try:
            rule, _ = self.application.url_map.bind("localhost").match(
                path, method=method, return_rule=True
            )
        except (NotFound, MethodNotAllowed):
            return  # no such operation: nothing to check against
        where = f"{method} {path} -> {response.status_code}"
        operation = DOC["paths"][openapi_path(rule.rule)][method.lower()]
        documented = operation["responses"].get(str(response.status_code))
        assert documented, f"{where}: status not documented; body {response.get_data()[:300]!r}"
        self.seen.add((openapi_path(rule.rule), method.lower(), response.status_code))

        content = documented.get("content", {})
        if "application/json" in content:
            assert response.is_json, f"{where}: not JSON"
            body = response.get_json()
            errors = schema_errors(content["application/json"]["schema"], body)
            assert not errors, f"{where}: {errors} in {body}"
            if "x-error-codes" in documented:
                assert body["error"]["code"] in documented["x-error-codes"], f"{where}: {body}"
        elif content:
            assert response.mimetype in content, f"{where}: {response.mimetype} not documented"
        for header in ("Set-Cookie", "Retry-After", "Location"):
            # (a 401 invalid_session clears the cookie: not a header worth documenting)
            if header in response.headers and (
                response.status_code < 400 or header != "Set-Cookie"
            ):
                assert header in documented.get("headers", {}), f"{where}: {header} not documented"
        if sent_json is not None and response.status_code < 300:
            request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
            assert not schema_errors(request_schema, sent_json), f"{where}: sent {sent_json}"


@pytest.fixture
def contract(app: Flask) -> Seen:
    """Make every client of `app` a ContractClient; return the set of (path, method, status)
    the clients have seen."""
    seen: Seen = set()
    app.test_client_class = type("Client", (ContractClient,), {"seen": seen})
    return seen


_addresses = iter(range(1, 60_000))


@pytest.fixture
def person(app: Flask, contract: Seen) -> Callable[..., Person]:
    """People (tests/api/conftest.py's, who have heard every clip they vote on) whose answers
    are checked against the document, each from an address of their own (198.19.x.x, a range
    kept for tests), given a session through the API unless `session=False`."""
    client_class = type("ContractPerson", (ContractClient, Person), {"seen": contract})

    def make(*, session: bool = True) -> Person:
        client = client_class(app, app.response_class, use_cookies=True)
        n = next(_addresses)
        client.environ_base["REMOTE_ADDR"] = f"198.19.{n >> 8}.{n % 256}"
        if session:
            assert client.post("/api/v1/session").status_code == 201
        return client

    return make


def test_the_document_is_valid_openapi_3_1() -> None:
    validate_spec(DOC)
    assert DOC["openapi"].startswith("3.1.")
    for schema in DOC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_route_is_documented_and_every_documented_operation_exists(app: Flask) -> None:
    documented = {
        (path, method) for path, operations in DOC["paths"].items() for method in operations
    }
    assert documented == documented_routes(app)


def test_every_error_code_is_documented_with_the_status_the_code_sends(app: Flask) -> None:
    """(The app's views have imported every error class of the API.)"""

    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in subclasses(CrowdsourceError):
        if cls.code in ERROR_STATUS:
            assert ERROR_STATUS[cls.code] == cls.http_status, cls
    listed = {
        code
        for operations in DOC["paths"].values()
        for operation in operations.values()
        for response in operation["responses"].values()
        for code in response.get("x-error-codes", ())
    }
    assert listed == set(ERROR_STATUS)


def add_media_items(
    db: psycopg.Connection, kind: str, n: int, *, language: str = "hi",
    reference: str | None = None, duration_ms: int = 3000,
) -> list[int]:  # fmt: skip
    """`n` clips (kind 'audio') or images of `language`, each with this reference text."""
    ext = "png" if kind == "image" else "wav"
    measures = Jsonb({"width": 320, "height": 80, "format": "png"}) if kind == "image" else None
    ids = []
    for _ in range(n):
        row = db.execute(
            "INSERT INTO dataset_rows (language_code, kind, text, media_key, media_duration_ms,"
            " media_measures) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (language, kind, reference, f"media/{language}/{uuid.uuid4().hex}.{ext}",
             duration_ms if kind == "audio" else None, measures),
        ).fetchone()  # fmt: skip
        ids.append(row["id"])
    return ids


def answer(client: FlaskClient, task: str, item: int, text: str, **extra: Any) -> Any:
    body = {"item_id": item, "idempotency_key": uuid.uuid4().hex, "text": text, **extra}
    return client.post(f"/api/v1/tasks/{task}/contributions", json=body)


def tour_the_tasks(app: Flask, db: psycopg.Connection, person: Callable[..., Person]) -> None:
    """Label from both seats (an answer, a correction, skips, a report) and translate's pick."""
    visitor, labeller, checker = person(session=False), person(), person()
    set_task(db, LABEL, "hi", cap=2)
    set_task(db, TRANSLATE, "hi")
    images = add_media_items(db, "image", 2)
    key = db.execute("SELECT media_key FROM dataset_rows WHERE id = %s", (images[0],)).fetchone()
    app.extensions["crowdsource.storage"].put(
        key["media_key"], b"\x89PNG fake", content_type="image/png"
    )
    db.execute("INSERT INTO dataset_rows (language_code, kind, text) VALUES ('en', 'sentence', "
               "'Water is life.')")  # fmt: skip
    make_prompts(db, "en", "hi")

    listed = visitor.get("/api/v1/tasks").get_json()["tasks"]
    assert {(t["task"], t["source_language"]) for t in listed} == {
        ("label", None), ("translate", "en"),
    }  # fmt: skip
    picked = labeller.get("/api/v1/tasks/label/languages/hi/items?count=5").get_json()["items"]
    shown = next(i for i in picked if i["id"] == images[0])
    assert labeller.get(shown["media_url"]).data == b"\x89PNG fake"
    translate = visitor.get("/api/v1/tasks/translate/languages/hi/items?from=en").get_json()
    (prompt,) = translate["items"]
    assert prompt["text"] == "Water is life."
    body = {"item_id": images[0], "idempotency_key": uuid.uuid4().hex, "text": "गलत शब्द"}
    first = labeller.post("/api/v1/tasks/label/contributions", json=body)
    assert first.status_code == 201
    assert labeller.post("/api/v1/tasks/label/contributions", json=body).status_code == 200
    assert labeller.post(f"/api/v1/tasks/label/items/{images[1]}/skip").status_code == 200

    (queued,) = checker.get("/api/v1/tasks/label/languages/hi/queue").get_json()["contributions"]
    assert queued["id"] == first.get_json()["contribution"]["id"]
    change = {"verdict": "change", "text": "सही शब्द"}
    corrected = checker.post(f"/api/v1/contributions/{queued['id']}/votes", json=change)
    assert corrected.status_code == 201
    again = checker.post(f"/api/v1/contributions/{queued['id']}/votes", json=change)
    assert again.status_code == 200
    correction = corrected.get_json()["correction"]["id"]
    assert labeller.post(f"/api/v1/contributions/{correction}/skip").status_code == 200
    report = {"target": "contribution", "id": correction, "reason": "unreadable"}
    assert labeller.post("/api/v1/reports", json=report).status_code == 201
    report = {"target": "item", "id": images[1], "reason": "wrong_script"}
    assert labeller.post("/api/v1/reports", json=report).status_code == 201
    (mine,) = checker.get("/api/v1/me/contributions").get_json()["contributions"]
    assert (mine["task"], mine["text"], mine["sentence"]) == ("label", "सही शब्द", None)


def tour_the_certificates(db: psycopg.Connection, person: Callable[..., Person]) -> None:
    """Progress, a certificate issued (and the same again), its PDF and its public check."""
    from tests.api.test_certificates import give

    volunteer, visitor = person(), person(session=False)
    assert volunteer.get("/api/v1/me/certificates").get_json()["progress"]["eligible"] is False
    give(db, volunteer.contributor_id(), contributions=5)
    issued = volunteer.post("/api/v1/me/certificates", json={"name": "आशा"})
    assert issued.status_code == 201
    assert volunteer.post("/api/v1/me/certificates", json={"name": "आशा"}).status_code == 200
    certificate = issued.get_json()["certificate"]
    (listed,) = volunteer.get("/api/v1/me/certificates").get_json()["certificates"]
    assert listed["code"] == certificate["code"]
    assert volunteer.get(certificate["pdf"]).status_code == 200
    assert visitor.get(f"/api/v1/certificates/{certificate['code']}").status_code == 200


def test_a_journey_through_the_api_matches_the_document(
    app: Flask,
    db: psycopg.Connection,
    contract: Seen,
    person: Callable[..., Person],
    add_sentences: Callable[..., list[int]],
) -> None:
    visitor, speaker, validator = person(session=False), person(), person()
    items = add_sentences(4)

    assert visitor.get("/healthz").status_code == 200
    assert visitor.get("/readyz").status_code == 200
    assert visitor.get("/api/v1/openapi.json").get_json() == DOC
    assert visitor.get("/api/v1/languages").status_code == 200
    assert visitor.get("/api/v1/profile/options").status_code == 200
    assert visitor.get("/api/v1/me").status_code == 200
    assert visitor.get("/api/v1/me/contributions").get_json()["total"] == 0
    assert visitor.get("/api/v1/me/ranks").get_json()["ranks"] == []
    assert visitor.post("/api/v1/session").get_json() == {"session": {"new": True}}
    assert visitor.post("/api/v1/session").get_json() == {"session": {"new": False}}

    # The speaker reads, records (once again with the same key), skips, fills in a profile.
    sentences = speaker.get("/api/v1/languages/hi/sentences?count=3").get_json()["sentences"]
    assert len(sentences) == 3
    first = record(speaker, items[0])
    key = uuid.uuid4().hex
    assert upload(speaker, items[1], clip("hi_2.wav"), key=key).status_code == 201
    again = upload(speaker, items[1], clip("hi_2.wav"), key=key)
    assert again.status_code == 200
    assert upload(speaker, items[2], silence(), key=key + "x").status_code == 422
    assert speaker.post(f"/api/v1/sentences/{items[3]}/skip").status_code == 200
    profile = {"display_name": "Asha", "age_group": "thirties", "gender": None,
               "mother_tongue": "hi", "region_code": "MH", "leaderboard_opt_in": True}  # fmt: skip
    assert speaker.put("/api/v1/me/profile", json=profile).get_json()["profile"] == profile
    assert speaker.get("/api/v1/me/ranks").get_json() == {"ranks": [], "as_of": None}
    totals = speaker.get("/api/v1/me").get_json()["totals"]
    assert (totals["recordings"], totals["refused"]) == (2, 1)
    mine = speaker.get("/api/v1/me/contributions?page=1&per_page=2").get_json()
    assert (mine["total"], len(mine["contributions"])) == (3, 2)
    assert speaker.get("/api/v1/me/contributions?page=2&per_page=2").get_json()["total"] == 3
    left = speaker.get("/api/v1/languages/hi/sentences?count=20").get_json()
    assert ([s["id"] for s in left["sentences"]], left["exhausted"]) == ([items[2]], False)
    assert speaker.post(f"/api/v1/sentences/{items[2]}/skip").status_code == 200
    left = speaker.get("/api/v1/languages/hi/sentences").get_json()
    assert (left["sentences"], left["exhausted"]) == ([], True)

    # The validator listens, votes (twice the same), skips and reports.
    clips = validator.get("/api/v1/languages/hi/clips?count=20").get_json()["clips"]
    assert {c["id"] for c in clips} == {first, again.get_json()["recording"]["id"]}
    audio = validator.get(clips[0]["audio_url"])
    assert audio.status_code == 200 and audio.data
    vote = {"verdict": "accept"}
    counted = validator.post(f"/api/v1/recordings/{first}/votes", json=vote)
    assert counted.status_code == 201
    assert counted.get_json()["vote"] == {"recording": first, "verdict": "accept"}
    assert validator.post(f"/api/v1/recordings/{first}/votes", json=vote).status_code == 200
    second = again.get_json()["recording"]["id"]
    assert validator.post(f"/api/v1/recordings/{second}/skip").status_code == 200
    report = {"target": "recording", "id": second, "reason": "other", "note": "Two voices."}
    assert validator.post("/api/v1/reports", json=report).status_code == 201
    assert validator.post("/api/v1/reports", json=report).status_code == 200
    report = {"target": "sentence", "id": items[3], "reason": "grammar_or_spelling"}
    assert validator.post("/api/v1/reports", json=report).status_code == 201
    assert validator.get("/api/v1/languages/hi/clips").get_json()["clips"] == []
    assert validator.get("/api/v1/me").get_json()["totals"]["validations"] == 1
    # Feedback, from a visitor without a session and from a validator with every field.
    sent = visitor.post("/api/v1/feedback", json={"category": "bug", "message": "Stuck."})
    assert sent.status_code == 201
    feedback = {"rating": 5, "category": "praise", "message": "अच्छा है", "would_recommend": "yes",
                "would_return": "maybe", "page": "/validate/hi", "task": "speak",
                "language": "hi"}  # fmt: skip
    assert validator.post("/api/v1/feedback", json=feedback).status_code == 201
    # Progress: badges, streak, goals (in the validator's own zone).
    zone = {"X-Time-Zone": "Asia/Kolkata"}
    goals = validator.put("/api/v1/me/goals", json={"speak": 10, "label": None}, headers=zone)
    assert goals.get_json()["goals"] == [{"task": "speak", "target": 10, "done": 1}]
    assert visitor.get("/api/v1/me/progress").get_json()["badges"] == []
    assert validator.get("/api/v1/me/progress", headers=zone).status_code == 200
    # The speaker downloads their data, then has it erased (once confirmed).
    assert person(session=False).get("/api/v1/me/export").status_code == 401
    download = speaker.get("/api/v1/me/export")
    assert download.status_code == 200 and download.data.startswith(b"PK")
    assert speaker.delete("/api/v1/me", json={"confirm": "yes"}).status_code == 422
    erased = speaker.delete("/api/v1/me", json={"confirm": "delete my data"})
    assert erased.get_json()["removed"]["recordings"] == 2
    # The contributor key: shown, scanned, entered on another device, replaced.
    key = validator.get("/api/v1/me/key").get_json()["key"]
    assert validator.get("/api/v1/me/key.svg").status_code == 200
    assert person(session=False).post("/api/v1/session/key", json={"key": key}).status_code == 200
    assert validator.post("/api/v1/me/key/rotate").status_code == 200
    tour_the_tasks(app, db, person)
    tour_the_certificates(db, person)

    succeeded = {(path, method) for path, method, status in contract if status < 300}
    assert succeeded == documented_routes(app)


def test_errors_match_the_document(
    contract: Seen, person: Callable[..., Person], add_sentences: Callable[..., list[int]]
) -> None:
    speaker, validator = person(), person()
    item, other, third = add_sentences(3)
    mine = record(speaker, item)
    missing = uuid.uuid4()

    def post(client: FlaskClient, path: str, **kwargs: Any) -> tuple[int, str]:
        return error_of(client.post(f"/api/v1{path}", **kwargs))

    def get(client: FlaskClient, path: str) -> tuple[int, str]:
        return error_of(client.get(f"/api/v1{path}"))

    # Reference data, queues and pages.
    assert get(speaker, "/languages/xx/sentences") == (404, "unknown_language")
    assert get(speaker, "/languages/xx/clips") == (404, "unknown_language")
    assert get(speaker, "/languages/hi/sentences?count=0") == (422, "invalid_field")
    assert get(speaker, "/languages/hi/clips?count=many") == (422, "invalid_field")
    assert get(speaker, "/me/contributions?per_page=101") == (422, "invalid_field")

    # Uploads.
    assert error_of(upload(speaker, other, None)) == (400, "missing_field")
    assert error_of(upload(speaker, other, b"")) == (400, "empty_upload")
    assert error_of(upload(speaker, other, clip("hi_1.wav"), key="short")) == (422, "invalid_field")
    assert error_of(upload(speaker, other, b"just text " * 300)) == (415, "not_audio")
    assert error_of(upload(speaker, other, silence())) == (422, "silent")
    assert error_of(upload(speaker, 424242, clip("hi_1.wav"))) == (404, "unknown_item")
    assert error_of(upload(speaker, item, clip("hi_2.wav"))) == (409, "already_recorded")
    key = uuid.uuid4().hex
    assert upload(speaker, third, clip("hi_2.wav"), key=key).status_code == 201
    assert error_of(upload(speaker, other, clip("hi_1.wav"), key=key)) == (
        409, "idempotency_conflict",
    )  # fmt: skip
    assert error_of(upload(speaker, other, os.urandom(6 * 1024 * 1024))) == (413, "too_large")
    assert post(speaker, "/sentences/424242/skip") == (404, "unknown_item")

    # Votes, skips and audio.
    def vote(client: FlaskClient, recording: Any, body: Any = None, **kwargs: Any) -> Any:
        return client.post(f"/api/v1/recordings/{recording}/votes", json=body, **kwargs)

    assert error_of(vote(validator, mine, {"verdict": "accept"}, listened=False)) == (
        422, "not_listened",
    )  # fmt: skip
    assert error_of(vote(validator, mine, {"verdict": "maybe"})) == (422, "invalid_field")
    assert error_of(vote(validator, mine, {})) == (400, "missing_field")
    assert error_of(vote(validator, mine, data="accept")) == (400, "not_json")
    assert error_of(vote(validator, mine, ["accept"])) == (400, "invalid_json")
    assert error_of(vote(speaker, mine, {"verdict": "accept"})) == (403, "own_recording")
    assert vote(validator, mine, {"verdict": "reject"}).status_code == 201
    assert error_of(vote(validator, mine, {"verdict": "accept"})) == (409, "already_voted")
    assert error_of(vote(validator, missing, {"verdict": "accept"})) == (404, "unknown_recording")
    assert post(validator, "/recordings/not-a-uuid/skip") == (404, "unknown_recording")
    assert post(validator, f"/recordings/{missing}/skip") == (404, "unknown_recording")
    assert get(validator, f"/recordings/{mine}/audio") == (403, "link_expired")
    assert get(validator, f"/recordings/{mine}/audio?token=forged") == (403, "link_expired")
    assert get(validator, "/recordings/not-a-uuid/audio?token=x") == (404, "unknown_recording")

    # Profile.
    def save(body: Any = None, **kwargs: Any) -> tuple[int, str]:
        return error_of(speaker.put("/api/v1/me/profile", json=body, **kwargs))

    assert save({"display_name": "me@example.com"}) == (422, "personal_data")
    assert save({"age_group": "old"}) == (422, "invalid_value")
    assert save({"email": "x"}) == (422, "invalid_value")
    assert save(data="x") == (400, "not_json")
    assert save({"display_name": "x" * 6 * 1024 * 1024}) == (413, "too_large")

    # Reports.
    report = {"target": "sentence", "id": item, "reason": "other"}
    assert post(validator, "/reports", json=report) == (422, "note_required")
    assert post(validator, "/reports", json={**report, "target": "word"}) == (422, "invalid_field")
    assert post(validator, "/reports", json={**report, "id": None}) == (400, "missing_field")
    too_long = {**report, "note": "x" * 501}
    assert post(validator, "/reports", json=too_long) == (422, "invalid_field")
    report = {"target": "sentence", "id": 424242, "reason": "offensive"}
    assert post(validator, "/reports", json=report) == (404, "unknown_item")
    report = {"target": "recording", "id": str(missing), "reason": "offensive"}
    assert post(validator, "/reports", json=report) == (404, "unknown_recording")

    # Feedback.
    feedback = {"category": "bug", "message": "Stuck."}
    assert post(validator, "/feedback", json={**feedback, "rating": 6}) == (422, "invalid_field")
    assert post(validator, "/feedback", json={**feedback, "category": None}) == (
        400, "missing_field",
    )  # fmt: skip
    assert post(validator, "/feedback", json={**feedback, "message": " "}) == (422, "empty_text")
    assert post(validator, "/feedback", json={**feedback, "message": "x" * 1001}) == (
        422, "too_long",
    )  # fmt: skip
    assert post(validator, "/feedback", json={**feedback, "language": "zz"}) == (
        422, "invalid_value",
    )  # fmt: skip
    assert post(validator, "/feedback", data="x") == (400, "not_json")

    # Certificates.
    assert post(validator, "/me/certificates", json={"name": "Asha"}) == (403, "not_eligible")
    assert get(validator, "/certificates/K7QM-3XRT-9HWB") == (404, "certificate_not_found")
    assert get(validator, "/me/certificates/K7QM-3XRT-9HWB.pdf") == (
        404, "certificate_not_found",
    )  # fmt: skip

    # Hostile text, anywhere.
    assert get(validator, "/languages/hi/clips?count=%00") == (400, "invalid_input")
    assert post(validator, "/reports", json={**report, "note": "\x00"}) == (400, "invalid_input")

    # No session: every write refused, nothing else said.
    stranger = person(session=False)
    assert error_of(vote(stranger, mine, {"verdict": "accept"})) == (401, "no_session")
    assert post(stranger, "/reports", json=report) == (401, "no_session")
    assert error_of(upload(stranger, other, clip("hi_1.wav"))) == (401, "no_session")
    assert error_of(stranger.put("/api/v1/me/profile", json={})) == (401, "no_session")

    # A forged identity cookie, on any API path.
    forger = person()
    forger.set_cookie("cs_id", "forged.value.here")
    assert get(forger, "/me") == (401, "invalid_session")
    forger.set_cookie("cs_id", "forged.value.here")
    assert get(forger, "/openapi.json") == (401, "invalid_session")

    # The contributor key: a wrong one, and a device whose key was replaced elsewhere.
    assert post(stranger, "/session/key", json={"key": "NOT-A-KEY"}) == (
        422,
        "invalid_contributor_key",
    )
    phone, laptop = person(), person(session=False)
    key = phone.get("/api/v1/me/key").get_json()["key"]
    assert laptop.post("/api/v1/session/key", json={"key": key}).status_code == 200
    assert phone.post("/api/v1/me/key/rotate").status_code == 200
    assert get(laptop, "/me/key") == (401, "session_revoked")
    assert get(stranger, "/me/key") == (401, "no_session")

    assert {status for _, _, status in contract} >= {400, 401, 403, 404, 409, 413, 415, 422}


def test_task_errors_match_the_document(
    contract: Seen,
    db: psycopg.Connection,
    person: Callable[..., Person],
    add_sentences: Callable[..., list[int]],
) -> None:
    author, other, validator = person(), person(), person()
    set_task(db, LABEL, "hi", cap=2)
    plain, referenced, full, reported = add_media_items(db, "image", 4)
    db.execute("UPDATE dataset_rows SET text = 'नमस्ते दुनिया' WHERE id = %s", (referenced,))
    missing = uuid.uuid4()

    def get(client: FlaskClient, path: str) -> tuple[int, str]:
        return error_of(client.get(f"/api/v1{path}"))

    def post(client: FlaskClient, path: str, **kwargs: Any) -> tuple[int, str]:
        return error_of(client.post(f"/api/v1{path}", **kwargs))

    def vote(client: FlaskClient, contribution: Any, body: Any, **kwargs: Any) -> tuple[int, str]:
        return post(client, f"/contributions/{contribution}/votes", json=body, **kwargs)

    # Picking and the queue.
    assert get(author, "/tasks/paint/languages/hi/items") == (404, "unknown_task")
    assert get(author, "/tasks/speak/languages/hi/queue") == (404, "unknown_task")
    assert get(author, "/tasks/transcribe/languages/hi/items") == (409, "task_closed")
    assert get(author, "/tasks/transcribe/languages/hi/queue") == (409, "task_closed")
    assert get(author, "/tasks/label/languages/xx/items") == (404, "unknown_language")
    assert get(author, "/tasks/label/languages/hi/items?count=21") == (422, "invalid_field")
    assert get(author, "/tasks/label/languages/hi/queue?count=0") == (422, "invalid_field")
    set_task(db, TRANSLATE, "mr")
    assert get(author, "/tasks/translate/languages/mr/items") == (400, "source_required")
    assert get(author, "/tasks/translate/languages/mr/items?from=ta") == (404, "unknown_language")
    assert get(author, f"/items/{plain}/media") == (403, "link_expired")
    assert get(author, f"/items/{plain}/media?token=forged") == (403, "link_expired")

    # Answers: the text rules, the pre-check, the item's rules at the write.
    assert error_of(answer(author, "label", plain, "  ...  ")) == (422, "empty_text")
    assert error_of(answer(author, "label", plain, "देखें www.example.com")) == (422, "has_url")
    assert error_of(answer(author, "label", plain, "plain english")) == (422, "wrong_script")
    assert error_of(answer(author, "label", referenced, "क" * 50)) == (422, "too_long")
    assert error_of(answer(author, "label", referenced, "बिलकुल अलग बात")) == (
        422, "far_from_reference",
    )  # fmt: skip
    db.execute("INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', "
               "'पानी ही जीवन है।')")  # fmt: skip
    make_prompts(db, "hi", "mr")
    picked = author.get("/api/v1/tasks/translate/languages/mr/items?from=hi").get_json()
    (prompt,) = picked["items"]
    assert error_of(answer(author, "translate", prompt["id"], "पानी ही जीवन है।")) == (
        422, "copy_of_source",
    )  # fmt: skip
    set_task(db, TRANSCRIBE, "hi")
    (clip_item,) = add_media_items(db, "audio", 1, duration_ms=20_000)
    assert error_of(answer(author, "transcribe", clip_item, "हाँ")) == (422, "too_short")
    assert error_of(answer(author, "label", 424242, "शब्द")) == (404, "unknown_item")
    assert error_of(answer(author, "label", plain, "शब्द", confirmed="yes")) == (
        400, "invalid_input",
    )  # fmt: skip
    assert error_of(answer(author, "label", plain, 7)) == (400, "invalid_input")
    key = uuid.uuid4().hex
    mine = answer(author, "label", plain, "पहला", idempotency_key=key).get_json()
    assert error_of(answer(author, "label", full, "पहला", idempotency_key=key)) == (
        409, "idempotency_conflict",
    )  # fmt: skip
    assert error_of(answer(author, "label", plain, "दूसरा")) == (409, "already_contributed")
    theirs = answer(other, "label", plain, "दूसरा").get_json()
    assert error_of(answer(validator, "label", plain, "तीसरा")) == (409, "item_full")
    db.execute("UPDATE dataset_rows SET report_count = 100 WHERE id = %s", (reported,))
    assert error_of(answer(author, "label", reported, "शब्द")) == (409, "item_reported")
    assert post(author, "/tasks/label/items/424242/skip") == (404, "unknown_item")
    assert post(author, "/tasks/paint/items/1/skip") == (404, "unknown_task")
    assert error_of(answer(person(session=False), "label", full, "शब्द")) == (401, "no_session")

    # Votes and corrections.
    first, second = mine["contribution"]["id"], theirs["contribution"]["id"]
    assert vote(author, first, {"verdict": "accept"}) == (403, "own_contribution")
    assert vote(author, second, {"verdict": "accept"}) == (403, "own_item")
    assert vote(validator, first, {"verdict": "accept"}, listened=False) == (422, "not_listened")
    assert vote(validator, first, {"verdict": "change"}) == (400, "invalid_input")
    assert vote(validator, first, {"verdict": "accept", "text": "नया"}) == (400, "invalid_input")
    assert vote(validator, first, {"verdict": "change", "text": "पहला"}) == (
        422, "correction_unchanged",
    )  # fmt: skip
    assert vote(validator, first, {"verdict": "change", "text": "a@b.org"}) == (422, "has_url")
    assert vote(validator, first, {"verdict": "maybe"}) == (422, "invalid_field")
    rejected = validator.post(f"/api/v1/contributions/{first}/votes", json={"verdict": "reject"})
    assert rejected.status_code == 201
    assert vote(validator, first, {"verdict": "accept"}) == (409, "already_voted")
    assert vote(validator, missing, {"verdict": "accept"}) == (404, "unknown_contribution")
    assert vote(validator, "not-a-uuid", {"verdict": "accept"}) == (404, "unknown_contribution")
    assert post(validator, f"/contributions/{missing}/skip") == (404, "unknown_contribution")
    (sentence,) = add_sentences(1)
    recording = record(author, sentence)
    assert vote(validator, recording, {"verdict": "change", "text": "नया"}) == (
        422, "no_corrections",
    )  # fmt: skip
    assert vote(author, recording, {"verdict": "accept"}) == (403, "own_recording")
    set_task(db, LABEL, "hi", is_open=False)
    assert get(author, "/tasks/label/languages/hi/items") == (409, "task_closed")
    assert error_of(answer(validator, "label", full, "शब्द")) == (409, "task_closed")
    assert vote(validator, second, {"verdict": "accept"}) == (409, "language_closed")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_database_outage_matches_the_document(settings: Settings) -> None:
    url = f"postgresql://nobody@127.0.0.1:{closed_port()}/nothing"
    down = create_app(replace(settings, db_connect_timeout=1), database_url=url)
    seen: Seen = set()
    down.test_client_class = type("Client", (ContractClient,), {"seen": seen})
    client = down.test_client()

    assert client.get("/readyz").status_code == 503
    response = client.get("/api/v1/languages")
    assert error_of(response) == (503, "database_unavailable")
    assert response.headers["Retry-After"]
    down.extensions["crowdsource.db"].close()
    assert {status for _, _, status in seen} == {503}
