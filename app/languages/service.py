"""Languages: the reference list contributors choose from."""

from __future__ import annotations

from typing import Any

from app.db import Conn
from app.errors import Conflict


class LanguageClosed(Conflict):
    """The language is not taking contributions (recordings or votes) at the moment."""

    code = "language_closed"


_LIST_LANGUAGES = """
SELECT l.code, l.name, l.native_name, l.script, l.direction,
       (SELECT count(*) FROM dataset_rows d
         WHERE d.language_code = l.code AND d.is_active AND d.kind = 'sentence') AS sentence_count,
       (SELECT count(*) FROM contributions c
         WHERE c.language_code = l.code AND c.status = 'pending' AND c.kind = 'recording')
         AS clip_count
  FROM languages l
 WHERE l.is_active
 ORDER BY l.name
"""


def list_languages(conn: Conn) -> list[dict[str, Any]]:
    """Active languages, by English name, with how many active sentences each has and how
    many recordings wait for checks (the choosers lead with the languages that have work)."""
    return conn.execute(_LIST_LANGUAGES).fetchall()


_LANGUAGE_SETTINGS = """
SELECT code, name, native_name, script, direction, is_active, max_recordings_per_item, goal_hours
  FROM languages ORDER BY code
"""


def language_settings(conn: Conn) -> list[dict[str, Any]]:
    """Every language (active or not) with the settings an operator can change."""
    return conn.execute(_LANGUAGE_SETTINGS).fetchall()


def configure_language(
    conn: Conn,
    code: str,
    *,
    active: bool | None = None,
    max_recordings: int | None = None,
    goal_hours: int | None = None,
) -> dict[str, Any]:
    """Open/close a language for contributions, change its per-sentence recording cap or its
    dashboard goal (validated hours).

    Raises NotFound for an unknown code and BadRequest for a cap outside 1-100 or a goal < 1.
    """
    from app.errors import BadRequest, NotFound

    if max_recordings is not None and not 1 <= max_recordings <= 100:
        raise BadRequest("the recording cap must be between 1 and 100")
    if goal_hours is not None and not 1 <= goal_hours <= 10_000_000:
        raise BadRequest("the goal must be at least 1 hour")
    row = conn.execute(
        """UPDATE languages
              SET is_active = coalesce(%(active)s, is_active),
                  max_recordings_per_item = coalesce(%(cap)s, max_recordings_per_item),
                  goal_hours = coalesce(%(goal)s, goal_hours)
            WHERE code = %(code)s
        RETURNING code, name, is_active, max_recordings_per_item, goal_hours""",
        {"code": code, "active": active, "cap": max_recordings, "goal": goal_hours},
    ).fetchone()
    if row is None:
        raise NotFound(f"no language with code {code!r} (see `crowdsource languages list`)")
    return row
