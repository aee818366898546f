"""Shared pieces of the ingest tests: the sample files and small helpers to look at the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import PROJECT_ROOT

SENTENCES = PROJECT_ROOT / "tests/data/sentences"
HINDI = SENTENCES / "hindi.txt"
ENGLISH = SENTENCES / "english.txt"
PARALLEL = SENTENCES / "parallel_6_languages.csv"


def rows(db: psycopg.Connection[Any], where: str = "true") -> list[dict[str, Any]]:
    """dataset_rows matching `where` (test-written SQL), in id order."""
    return db.execute(f"SELECT * FROM dataset_rows WHERE {where} ORDER BY id").fetchall()


def count(db: psycopg.Connection[Any], table: str) -> int:
    """How many rows `table` has."""
    row = db.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
    assert row is not None
    return int(row["n"])


def write(path: Path, content: str | bytes) -> Path:
    """Write `content` (text as UTF-8) to `path`, creating folders; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path
