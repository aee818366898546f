"""What the operator's review commands (reports, known-answers, validators) share: one
transaction per command, a checked language code, and strangers' text made safe to print."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row

from app.db import Conn
from app.errors import NotFound
from app.settings import Settings
from ops.context import connect_database, settings_from_environment


@contextmanager
def transaction() -> Iterator[tuple[Conn, Settings]]:
    """The settings and one transaction for the whole command: committed when the command
    succeeds, rolled back when it raises (so a refused command changes nothing)."""
    settings = settings_from_environment()
    with psycopg.connect(connect_database(settings), row_factory=dict_row) as conn:
        yield conn, settings


def language_code(conn: Conn, code: str) -> str:
    """`code` if such a language exists; raises NotFound otherwise."""
    row = conn.execute("SELECT code FROM languages WHERE code = %s", (code,)).fetchone()
    if row is None:
        raise NotFound(f"no language with code {code!r} (see `crowdsource languages list`)")
    return str(row["code"])


def printable(text: str, width: int | None = None) -> str:
    """Text written by strangers (report notes) or imported (sentences), safe for a terminal:
    control and format characters (escape sequences, bidi overrides) shown as U+FFFD, except
    the zero-width joiners Indic scripts need; cut to `width` characters."""
    safe = "".join(
        "\ufffd" if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200c\u200d" else ch
        for ch in text
    )
    if width is not None and len(safe) > width:
        safe = safe[: width - 1] + "…"
    return safe


def plural(n: int, word: str) -> str:
    """'1 report', '3 reports'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
