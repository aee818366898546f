"""Demo sentences shipped with the product, loaded into an empty database on first start.

The files in `demo/` (one sentence a line, named by language code) are our own writing.
"""

from __future__ import annotations

import unicodedata
from importlib import resources

from app.db import Conn

_INSERT = """
INSERT INTO dataset_rows (language_code, kind, text, source)
VALUES (%(language)s, 'sentence', %(text)s, 'demo')
ON CONFLICT DO NOTHING
"""


def demo_sentences() -> dict[str, list[str]]:
    """The shipped demo sentences by language code, NFC-normalised, blank lines dropped."""
    folder = resources.files("app.sentences") / "demo"
    sentences: dict[str, list[str]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt"):
            lines = entry.read_text(encoding="utf-8-sig").splitlines()
            sentences[entry.name.removesuffix(".txt")] = [
                unicodedata.normalize("NFC", " ".join(line.split()))
                for line in lines
                if line.strip()
            ]
    return sentences


def load_demo_sentences_if_empty(conn: Conn) -> int:
    """Insert the demo sentences when the database has no items at all; return how many.

    Runs in the caller's transaction; takes a transaction-level advisory lock so that two
    processes starting at once load them only once.
    """
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('crowdsource.demo_sentences'))")
    if conn.execute("SELECT 1 FROM dataset_rows LIMIT 1").fetchone() is not None:
        return 0
    rows = [
        {"language": language, "text": text}
        for language, texts in demo_sentences().items()
        for text in texts
    ]
    with conn.cursor() as cur:
        cur.executemany(_INSERT, rows)
    return len(rows)
