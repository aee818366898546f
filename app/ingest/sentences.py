"""`ingest_sentences`: a sentence file into `dataset_rows`, as one batch, in one transaction.

Lines are read and checked in a stream (nothing but a 16-byte digest per accepted line stays in
memory), the accepted ones are COPYed into a temporary staging table; one query finds the staged
sentences the database already has (by duplicate key: the text without invisible joiners) and
takes their records out, and one INSERT ... SELECT moves the rest into `dataset_rows` (ON
CONFLICT DO NOTHING against the unique index on (language_code, md5(text)), for a run beside
this one). Everything happens in one transaction: a failed run leaves the database as it was.
A dry run does the same reading, checking, staging and finding, and rolls back.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Mapping
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

from app.db import Conn, describe_db_error
from app.errors import CrowdsourceError, NotFound
from app.ingest.readers import SentenceFile, open_sentence_file
from app.ingest.report import IngestReport, Refusal
from app.ingest.text import (
    DEFAULT_OPTIONS,
    RuleOptions,
    SentenceRules,
    duplicate_key,
    duplicate_key_sql,
    normalize,
)

PROGRESS_EVERY = 20_000  # records between progress callbacks
MAX_SOURCE_NAME = 180  # dataset_rows.source holds "<file name>:<line>" in 200 characters


class IngestFailed(CrowdsourceError):
    """The database refused the load; the transaction was rolled back, nothing was written."""

    code = "ingest_failed"
    http_status = 500


class UnknownLanguageCode(NotFound):
    code = "unknown_language"


_CREATE_STAGING = """
CREATE TEMPORARY TABLE ingest_staging (
    ord           bigint  NOT NULL,
    line          integer NOT NULL,
    language_code text    NOT NULL,
    text          text    NOT NULL
) ON COMMIT DROP
"""

_LOCK_LANGUAGE = "SELECT pg_advisory_xact_lock(16, hashtext(%(language)s))"  # 16: issue #16

_CREATE_BATCH = """
INSERT INTO ingest_batches (kind, language_code, source, options)
VALUES (%(kind)s, %(language)s, %(source)s, %(options)s)
RETURNING id
"""

# Staged sentences the database already has, by duplicate key (served by the index
# dataset_rows_sentence_key of migration 0008), with every other cell of their rows: a row of a
# parallel file is refused whole. A text file's rows are single lines.
_FIND_PRESENT = f"""
CREATE TEMPORARY TABLE ingest_present ON COMMIT DROP AS
  WITH hits AS (
       SELECT h.ord, h.line FROM ingest_staging h
        WHERE EXISTS (SELECT 1 FROM dataset_rows d
                       WHERE d.kind = 'sentence' AND d.language_code = h.language_code
                         AND {duplicate_key_sql("d.text")} = {duplicate_key_sql("h.text")}))
SELECT s.ord, s.line, s.language_code, s.text, s.ord IN (SELECT ord FROM hits) AS present
  FROM ingest_staging s
 WHERE s.line IN (SELECT line FROM hits)
"""
_READ_PRESENT = "SELECT line, language_code, text, present FROM ingest_present ORDER BY ord"
_DROP_PRESENT = "DELETE FROM ingest_staging WHERE line IN (SELECT line FROM ingest_present)"

# One parallel_rows row per record of a parallel file, in file order.
_LOAD_PARALLEL_ROWS = """
INSERT INTO parallel_rows (batch_id, line)
SELECT %(batch)s, line FROM (SELECT DISTINCT line FROM ingest_staging) r ORDER BY line
"""

# Rows in file order, so item ids follow the file; a parallel record's cells share its row.
_LOAD = """
INSERT INTO dataset_rows (language_code, kind, text, source, batch_id, parallel_row_id)
SELECT s.language_code, 'sentence', s.text, %(name)s || ':' || s.line, %(batch)s, p.id
  FROM ingest_staging s
  LEFT JOIN parallel_rows p ON p.batch_id = %(batch)s AND p.line = s.line AND %(parallel)s
 ORDER BY s.ord
ON CONFLICT DO NOTHING
"""

# After the load: staged rows that did not become rows of this batch (should not happen while
# runs take turns; kept so a row added by other means is reported, not lost).
_NOT_LOADED = """
SELECT s.line, s.language_code, s.text
  FROM ingest_staging s
 WHERE NOT EXISTS (SELECT 1 FROM dataset_rows d
                    WHERE d.batch_id = %(batch)s AND d.kind = 'sentence'
                      AND d.language_code = s.language_code AND d.text = s.text)
 ORDER BY s.ord
"""

_FINISH_BATCH = """
UPDATE ingest_batches
   SET added_count = %(added)s, refused_count = %(refused)s, refusals = %(refusals)s
 WHERE id = %(batch)s
"""


def language_labels(conn: Conn) -> tuple[dict[str, str], dict[str, str]]:
    """(label -> code, code -> script) for every language: the labels a CSV header may use
    are the code, the English name and the native name, compared in lower case."""
    rows = conn.execute("SELECT code, name, native_name, script FROM languages").fetchall()
    labels: dict[str, str] = {}
    for row in rows:
        for label in (row["code"], row["name"], row["native_name"]):
            labels[" ".join(label.split()).lower()] = row["code"]
    return labels, {row["code"]: row["script"] for row in rows}


def ingest_sentences(
    conn: Conn,
    path: Path,
    *,
    language: str | None = None,
    options: RuleOptions = DEFAULT_OPTIONS,
    blocked: frozenset[str] = frozenset(),
    dry_run: bool = False,
    encoding: str | None = None,
    on_refused: Callable[[Refusal], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest the sentences of `path` (text file for `language`, or CSV/TSV with a column
    per language, of which `language` picks one) as one batch; return the report.
    The file is read as UTF-8 unless `encoding` names another codec. A parallel file's
    record is one `parallel_rows` item whose cells are its translations, added whole or
    refused whole (the refused cells with their reasons, the others as row_refused).
    Duplicates, in the file and against the database, are decided by `duplicate_key`
    (invisible joiners ignored); the stored text keeps them.

    `conn` should be in autocommit mode: the run is then one transaction of its own (inside
    an open transaction it is a savepoint, committed with the caller's transaction).
    `on_refused` receives every refused line (those already in the database last);
    `progress(bytes_read, size)` is called while reading. Raises UnknownLanguageCode,
    BadSentenceFile (nothing written), IngestFailed when the database refuses the load
    (rolled back: nothing written).
    """
    labels, scripts = language_labels(conn)
    if language is not None and language not in scripts:
        raise UnknownLanguageCode(f"there is no language with code {language[:20]!r}")
    try:
        with (
            open_sentence_file(path, language=language, known=labels, encoding=encoding) as source,
            conn.transaction(),
        ):
            report = _ingest(conn, source, scripts, options, blocked, dry_run, on_refused, progress)
            if dry_run:
                raise psycopg.Rollback()
    except psycopg.Error as exc:
        raise IngestFailed(
            f"{path.name}: the database refused the load, nothing was written: "
            f"{describe_db_error(exc)}"
        ) from exc
    return report


def _ingest(
    conn: Conn,
    source: SentenceFile,
    scripts: Mapping[str, str],
    options: RuleOptions,
    blocked: frozenset[str],
    dry_run: bool,
    on_refused: Callable[[Refusal], None] | None,
    progress: Callable[[int, int], None] | None,
) -> IngestReport:
    """The run inside its transaction (which the caller commits or rolls back)."""
    languages = source.languages
    parallel = len(languages) > 1
    kind = "parallel" if parallel else "sentence"
    report = IngestReport(source.name, kind, languages, dry_run)
    rules = {code: SentenceRules(scripts[code], options, blocked) for code in languages}
    name = source.name[:MAX_SOURCE_NAME]
    if not dry_run:
        # Runs into the same language take turns (held to commit): the duplicate-key check
        # below is then exact, which no unique index guarantees (stored rows may already hold
        # near-duplicates from before migration 0008). Sorted, so two runs cannot deadlock.
        for code in sorted(languages):
            conn.execute(_LOCK_LANGUAGE, {"language": code})
        report.batch_id = _create_batch(conn, kind, languages, name, options)
    conn.execute(_CREATE_STAGING)

    def refuse(line: int, code: str, reason: str, text: str) -> None:
        report.refuse(code, reason)
        if on_refused is not None:
            on_refused(Refusal(str(line), code, reason, text))

    started = time.monotonic()
    staged: Counter[str] = Counter()
    seen: set[bytes] = set()
    buffer: list[str] = []
    ord_ = 0
    with (
        conn.cursor() as cur,
        cur.copy("COPY ingest_staging (ord, line, language_code, text) FROM STDIN") as copy,
    ):
        # A record's cells share its line: a text file's records have one cell, a parallel
        # file's one per language. A record is staged whole or refused whole.
        records = groupby(source.records, key=itemgetter(0))
        for number, (line, cells) in enumerate(records):
            checked = []
            refused = False
            digests = []
            for _, code, raw in cells:
                text = normalize(raw)
                reason = rules[code].check(text)
                if reason is None:
                    digest = hashlib.md5(f"{code}\0{duplicate_key(text)}".encode()).digest()
                    if digest in seen:
                        reason = "duplicate_in_file"
                    digests.append(digest)
                refused = refused or reason is not None
                checked.append((code, text or raw, reason))
            if refused:
                for code, text, reason in checked:
                    refuse(line, code, reason or "row_refused", text)
            else:
                seen.update(digests)
                for code, text, _ in checked:
                    # COPY text format by hand (3x faster than write_row): a normalised text
                    # has no tab or line break, so only the backslash needs escaping.
                    escaped = text.replace(chr(92), chr(92) * 2)
                    buffer.append(f"{ord_}\t{line}\t{code}\t{escaped}\n")
                    staged[code] += 1
                    ord_ += 1
            if number % PROGRESS_EVERY == 0:
                copy.write("".join(buffer))
                buffer.clear()
                if progress is not None:  # `size` only once, at the end (reads run ahead)
                    progress(min(source.bytes_read, source.size - 1), source.size)
        copy.write("".join(buffer))
    if progress is not None:
        progress(source.size, source.size)
    del seen
    report.seconds["reading and checking"] = time.monotonic() - started
    started = time.monotonic()
    conn.execute("ANALYZE ingest_staging")  # so the planner knows its size for the joins below

    _refuse_present(conn, refuse, staged)
    if not dry_run:
        params = {"name": name, "batch": report.batch_id, "parallel": parallel}
        if parallel:
            conn.execute(_LOAD_PARALLEL_ROWS, params)
        with conn.cursor() as cur:
            cur.execute(_LOAD, params)
            loaded = cur.rowcount
        if loaded < staged.total():  # a run beside this one added some since the check
            _refuse_not_loaded(conn, {"batch": report.batch_id}, refuse, staged)
    report.added.update({code: staged[code] for code in languages})
    if report.batch_id is not None:
        _finish_batch(conn, report)
    report.seconds["database"] = time.monotonic() - started
    return report


def _refuse_present(
    conn: Conn, refuse: Callable[[int, str, str, str], None], staged: Counter[str]
) -> None:
    """Refuse as already_present the staged sentences the database has (by duplicate key),
    and the other cells of their records as row_refused; take those records out of staging.
    Read through a server-side cursor: a re-run of a million lines must not hold a million
    rows in memory."""
    with conn.cursor() as cur:
        cur.execute(_FIND_PRESENT)
        if not cur.rowcount:
            return
    with conn.cursor(name="ingest_present", row_factory=tuple_row) as cur:
        cur.itersize = 10_000
        cur.execute(_READ_PRESENT)
        for line, code, text, present in cur:
            refuse(line, code, "already_present" if present else "row_refused", text)
            staged[code] -= 1
    conn.execute(_DROP_PRESENT)


def _refuse_not_loaded(
    conn: Conn,
    params: dict[str, Any],
    refuse: Callable[[int, str, str, str], None],
    staged: Counter[str],
) -> None:
    """Refuse as already_present the staged rows that the load turned away."""
    with conn.cursor(name="ingest_not_loaded", row_factory=tuple_row) as cur:
        cur.itersize = 10_000
        cur.execute(_NOT_LOADED, params)
        for line, code, text in cur:
            refuse(line, code, "already_present", text)
            staged[code] -= 1


def _create_batch(
    conn: Conn, kind: str, languages: list[str], name: str, options: RuleOptions
) -> int:
    params: dict[str, Any] = {
        "kind": kind,
        "language": None if kind == "parallel" else languages[0],
        "source": name,
        "options": Jsonb({**options.as_json(), "languages": languages}),
    }
    row = conn.execute(_CREATE_BATCH, params).fetchone()
    assert row is not None
    return int(row["id"])


def _finish_batch(conn: Conn, report: IngestReport) -> None:
    conn.execute(
        _FINISH_BATCH,
        {
            "batch": report.batch_id,
            "added": report.added_count,
            "refused": report.refused_count,
            "refusals": Jsonb(dict(report.refused)),
        },
    )
