"""POST /api/v1/feedback: the feedback form, stored as sent (trimmed, NFC), each bad field
refused with its code and nothing stored, open to visitors without a session, and limited
per address."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from flask import Flask

from app.security.limits import LIMITS, parse_rates
from tests.api.conftest import Person, count_rows, error_of, new_person

FORM = {
    "rating": 4,
    "category": "suggestion",
    "message": "  रिकॉर्ड करने से पहले वाक्य को बड़ा दिखाइए।  ",
    "would_recommend": "yes",
    "would_return": "maybe",
    "page": "/speak/hi",
    "task": "speak",
    "language": "hi",
}
STORED = """
SELECT contributor_id, category, rating, message, would_recommend, would_return, page, task,
       language_code
  FROM feedback
"""


def send(client: Any, body: Any = None, **kwargs: Any) -> Any:
    return client.post("/api/v1/feedback", json=body, **kwargs)


def test_the_stored_row_is_what_was_sent(person: Callable[[], Person], db) -> None:
    sender = person()
    response = send(sender, FORM)

    assert response.status_code == 201
    feedback_id = response.get_json()["feedback"]["id"]
    assert response.get_json() == {"feedback": {"id": feedback_id}}
    row = db.execute(STORED + " WHERE id = %s", (feedback_id,)).fetchone()
    assert row == {
        "contributor_id": sender.contributor_id(),
        "category": "suggestion",
        "rating": 4,
        "message": FORM["message"].strip(),
        "would_recommend": "yes",
        "would_return": "maybe",
        "page": "/speak/hi",
        "task": "speak",
        "language_code": "hi",
    }


def test_only_the_category_and_message_are_required(person, db) -> None:
    response = send(person(), {"category": "bug", "message": "The button does nothing."})

    assert response.status_code == 201
    row = db.execute(STORED).fetchone()
    assert (row["category"], row["message"]) == ("bug", "The button does nothing.")
    assert [row[k] for k in ("rating", "would_recommend", "would_return", "page", "task",
                             "language_code")] == [None] * 6  # fmt: skip


def test_the_message_is_stored_composed(person, db) -> None:
    decomposed = unicodedata.normalize("NFD", "ক্ষমা করবেন, Café")
    assert send(person(), {"category": "other", "message": decomposed}).status_code == 201
    assert db.execute(STORED).fetchone()["message"] == unicodedata.normalize("NFC", decomposed)


def test_a_visitor_without_a_session_may_send_feedback(app: Flask, db) -> None:
    visitor = new_person(app, session=False)
    response = send(visitor, {**FORM, "category": "praise"})

    assert response.status_code == 201
    assert "cs_id" not in response.headers.get("Set-Cookie", "")
    row = db.execute(STORED).fetchone()
    assert (row["contributor_id"], row["category"]) == (None, "praise")


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"rating": 0}, 422, "invalid_field", "rating"),
        ({"rating": 6}, 422, "invalid_field", "rating"),
        ({"rating": "5"}, 422, "invalid_field", "rating"),
        ({"rating": 4.5}, 422, "invalid_field", "rating"),
        ({"rating": True}, 422, "invalid_field", "rating"),
        ({"category": "complaint"}, 422, "invalid_field", "category"),
        ({"category": None}, 400, "missing_field", "category"),
        ({"message": ""}, 422, "empty_text", "message"),
        ({"message": " \n\t\u3000 "}, 422, "empty_text", "message"),
        ({"message": None}, 400, "missing_field", "message"),
        ({"message": "x" * 1001}, 422, "too_long", "message"),
        ({"message": ["hello"]}, 422, "invalid_field", "message"),
        ({"would_recommend": "sometimes"}, 422, "invalid_field", "would_recommend"),
        ({"would_return": "YES"}, 422, "invalid_field", "would_return"),
        ({"page": "speak/hi"}, 422, "invalid_field", "page"),
        ({"page": "https://example.org/"}, 422, "invalid_field", "page"),
        ({"page": "/" + "p" * 200}, 422, "invalid_field", "page"),
        ({"language": "xx"}, 422, "invalid_value", "language"),
        ({"language": "Hindi"}, 422, "invalid_field", "language"),
        ({"task": "sing"}, 422, "invalid_field", "task"),
        ({"message": "a\x00b"}, 400, "invalid_input", "message"),
    ],
)
def test_each_bad_field_is_refused_with_its_code_and_nothing_is_stored(
    person, db, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    response = send(person(), {**FORM, **change})

    assert error_of(response) == (status, code)
    assert response.get_json()["error"]["field"] == field
    assert count_rows(db, "feedback") == 0


def test_a_message_of_exactly_1000_characters_after_trimming_is_taken(person, db) -> None:
    assert send(person(), {**FORM, "message": f"  {'क' * 1000}  "}).status_code == 201
    assert len(db.execute(STORED).fetchone()["message"]) == 1000


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"data": "category=bug&message=hi", "content_type": "application/x-www-form-urlencoded"},
         "not_json"),
        ({"data": "{not json", "content_type": "application/json"}, "invalid_json"),
        ({"data": "[1, 2]", "content_type": "application/json"}, "invalid_json"),
    ],
)  # fmt: skip
def test_a_body_that_is_not_a_json_object_is_refused(person, db, kwargs, code) -> None:
    assert error_of(person().post("/api/v1/feedback", **kwargs)) == (400, code)
    assert count_rows(db, "feedback") == 0


def test_the_refusal_comes_in_the_senders_language(person) -> None:
    response = send(person(), {**FORM, "message": " "}, headers={"Accept-Language": "hi"})
    assert error_of(response) == (422, "empty_text")
    assert response.get_json()["error"]["message"] != "Please write a message."


def test_the_database_keeps_the_forms_limits(db: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("INSERT INTO feedback (category, message) VALUES ('bug', %s)", ("x" * 1001,))
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("INSERT INTO feedback (category, message, would_return) "
                   "VALUES ('bug', 'x', 'perhaps')")  # fmt: skip
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("INSERT INTO feedback (category, message, task) VALUES ('bug', 'x', 'sing')")


def _per_hour(spec: str) -> int:
    return next(r.count for r in parse_rates(spec) if r.seconds == 3600)


def test_feedback_past_the_address_limit_gets_429_and_is_not_stored(app: Flask, db) -> None:
    allowed = _per_hour(LIMITS["feedback.send_feedback"].per_address)
    visitors = [new_person(app, session=False) for _ in range(2)]
    for visitor in visitors:
        visitor.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    body = {"category": "bug", "message": "Again."}
    answers = [send(visitors[n % 2], body) for n in range(allowed + 2)]

    assert [a.status_code for a in answers[:allowed]] == [201] * allowed
    for refused in answers[allowed:]:
        assert error_of(refused) == (429, "rate_limited")
        assert int(refused.headers["Retry-After"]) > 0
    assert count_rows(db, "feedback") == allowed
    elsewhere = new_person(app, session=False)  # another address is not held back
    assert send(elsewhere, body).status_code == 201


def test_a_session_meets_its_own_limit_across_addresses(app: Flask, db) -> None:
    allowed = _per_hour(LIMITS["feedback.send_feedback"].per_session)
    sender = new_person(app)
    body = {"category": "other", "message": "One more thing."}
    answers = []
    for n in range(allowed + 1):
        sender.environ_base["REMOTE_ADDR"] = f"192.0.2.{100 + n}"
        answers.append(send(sender, body))

    assert [a.status_code for a in answers[:allowed]] == [201] * allowed
    assert error_of(answers[allowed]) == (429, "rate_limited")
    assert count_rows(db, "feedback") == allowed
