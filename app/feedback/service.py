"""Feedback from volunteers: a rating, a category, a message and the original platform's two
questions (would you recommend us, would you come back), with the page it was sent from.

Anyone may send it, with or without a session (a visitor whose browser refuses cookies has
things to tell us too); a session's contributor id is kept so the team can see whether the
sender had one, and is never exported (`crowdsource feedback export`). What a sender is told
is a `Text`, answered in their language; every refusal names its field, so the page shows it
there. The operator's side (`crowdsource feedback`) speaks English.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.contributors.service import ensure_contributor
from app.db import Conn
from app.errors import CrowdsourceError
from app.i18n.text import Text
from app.inputs import InvalidField, MissingField, required_choice
from app.tasks import TASKS

CATEGORIES = ("bug", "suggestion", "praise", "other")
ANSWERS = ("yes", "no", "maybe")  # would recommend, would return
TASK_NAMES = tuple(task.name for task in TASKS)
MESSAGE_MAX = 1000  # the form's limit (migration 0015 checks it too)
PAGE_MAX = 200
RATINGS = range(1, 6)


class EmptyMessage(CrowdsourceError):
    code = "empty_text"
    http_status = 422


class MessageTooLong(CrowdsourceError):
    code = "too_long"
    http_status = 422


class UnknownLanguage(CrowdsourceError):
    """A language code of the right shape that names no language (as the profile's)."""

    code = "invalid_value"
    http_status = 422


@dataclass(frozen=True)
class Feedback:
    """One form, checked: what is stored."""

    category: str
    message: str
    rating: int | None = None
    would_recommend: str | None = None
    would_return: str | None = None
    page: str | None = None
    task: str | None = None
    language: str | None = None


def _rating(value: Any) -> int | None:
    if value is None:
        return None
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or int(value) not in RATINGS:
        # Translators: 'rating' is the name of a field of the request; keep it as it is.
        raise InvalidField(Text("'rating' must be a whole number from 1 to 5."), field="rating")
    return int(value)


def _message(value: Any) -> str:
    if value is None:
        raise MissingField(Text("'{name}' is required.", name="message"), field="message")
    if not isinstance(value, str):
        # Translators: 'message' is the name of a field of the request; keep it as it is.
        raise InvalidField(Text("'message' must be text."), field="message")
    message = unicodedata.normalize("NFC", value.strip())
    if not message:
        raise EmptyMessage(Text("Please write a message."), field="message")
    if len(message) > MESSAGE_MAX:
        raise MessageTooLong(
            Text(
                "That is {length} characters; we can keep at most {limit}.",
                length=len(message),
                limit=MESSAGE_MAX,
            ),
            field="message",
        )
    return message


def _optional_choice(value: Any, name: str, choices: tuple[str, ...]) -> str | None:
    return None if value is None else required_choice(value, name, choices)


def _page(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/") or len(value) > PAGE_MAX:
        # Translators: 'page' is the name of a field of the request; keep it as it is.
        message = Text(
            "'page' must be a path on this site starting with '/', at most {limit} characters.",
            limit=PAGE_MAX,
        )
        raise InvalidField(message, field="page")
    return value


def _language(conn: Conn, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not (2 <= len(value) <= 3 and value.isascii()
                                          and value.isalpha() and value.islower()):  # fmt: skip
        # Translators: 'language' is the name of a field of the request; keep it as it is.
        raise InvalidField(Text("'language' must be a language code such as hi."), field="language")
    row = conn.execute("SELECT code FROM languages WHERE code = %s", (value,)).fetchone()
    if row is None:
        raise UnknownLanguage(Text("There is no language with code {code}.", code=value),
                              field="language")  # fmt: skip
    return str(row["code"])


def check_feedback(conn: Conn, body: dict[str, Any]) -> Feedback:
    """The form in `body` (a JSON object), checked; raises a 4xx error naming the first field
    at fault. The message is trimmed and NFC-normalised; other fields are ignored."""
    category = required_choice(body.get("category"), "category", CATEGORIES)
    return Feedback(
        category=category,
        rating=_rating(body.get("rating")),
        message=_message(body.get("message")),
        would_recommend=_optional_choice(body.get("would_recommend"), "would_recommend", ANSWERS),
        would_return=_optional_choice(body.get("would_return"), "would_return", ANSWERS),
        page=_page(body.get("page")),
        task=_optional_choice(body.get("task"), "task", TASK_NAMES),
        language=_language(conn, body.get("language")),
    )


def store_feedback(conn: Conn, feedback: Feedback, contributor_id: uuid.UUID | None) -> int:
    """Insert one feedback row; return its id. `contributor_id` is the sender's session, if
    any (its contributor row is made if this is their first write)."""
    if contributor_id is not None:
        ensure_contributor(conn, contributor_id)
    row = conn.execute(
        """INSERT INTO feedback (contributor_id, language_code, category, rating, message, page,
                                 would_recommend, would_return, task)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (contributor_id, feedback.language, feedback.category, feedback.rating, feedback.message,
         feedback.page, feedback.would_recommend, feedback.would_return, feedback.task),
    ).fetchone()  # fmt: skip
    assert row is not None
    return int(row["id"])


# What the team reads: never the contributor id, only whether there was a session.
_COLUMNS = """
SELECT id, created_at, category, rating, would_recommend, would_return, task,
       language_code AS language, page, contributor_id IS NOT NULL AS had_session, message
  FROM feedback
"""
EXPORT_COLUMNS = (
    "id", "created_at", "category", "rating", "would_recommend", "would_return", "task",
    "language", "page", "had_session", "message",
)  # fmt: skip


def latest_feedback(conn: Conn, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` feedback rows, newest first."""
    return conn.execute(_COLUMNS + " ORDER BY id DESC LIMIT %s", (limit,)).fetchall()


def all_feedback(conn: Conn) -> Iterator[dict[str, Any]]:
    """Every feedback row, oldest first, read as it is written out (a server-side cursor)."""
    with conn.cursor(name="feedback_export") as cursor:
        cursor.execute(_COLUMNS + " ORDER BY id")
        yield from cursor
