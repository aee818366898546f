"""The language list for pages and the API, kept for a few seconds per process.

Every visitor's first page shows it, and counting a language's sentences reads an index of
every sentence, so one count a few seconds serves everyone.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from app import deps
from app.languages.service import list_languages

TTL_SECONDS = 30.0

_lock = threading.Lock()
# Per database object, and dropped with it: an id() could be reused by the next app's database
# (tests create many) and hand it another database's list.
_cache: weakref.WeakKeyDictionary[Any, tuple[float, list[dict[str, Any]]]] = (
    weakref.WeakKeyDictionary()
)


def active_languages() -> list[dict[str, Any]]:
    """list_languages() from this app's database, at most TTL_SECONDS old."""
    database = deps.database()
    hit = _cache.get(database)
    if hit is not None and time.monotonic() - hit[0] < TTL_SECONDS:
        return hit[1]
    with database.connection() as conn:
        languages = list_languages(conn)
    with _lock:
        _cache[database] = (time.monotonic(), languages)
    return languages
