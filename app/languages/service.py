"""Languages: the reference list contributors choose from."""

from __future__ import annotations

from typing import Any

from app.db import Conn

_LIST_LANGUAGES = """
SELECT l.code, l.name, l.native_name, l.script, l.direction,
       count(d.id) FILTER (WHERE d.kind = 'sentence') AS sentence_count
  FROM languages l
  LEFT JOIN dataset_rows d ON d.language_code = l.code AND d.is_active
 WHERE l.is_active
 GROUP BY l.code
 ORDER BY l.name
"""


def list_languages(conn: Conn) -> list[dict[str, Any]]:
    """Active languages, by English name, with how many active sentences each has."""
    return conn.execute(_LIST_LANGUAGES).fetchall()
