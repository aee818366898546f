"""`crowdsource ingest sentences | media | batches | retire | activate`: load what volunteers
contribute on, one batch per run, and take a whole batch out of the queues (or back)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import click
import psycopg
from psycopg.rows import dict_row

from app.audio import AudioLimits
from app.db import Conn
from app.ingest.batches import list_batches, set_batch_active
from app.ingest.media import MAX_MEDIA_BYTES, ingest_media
from app.ingest.report import IngestReport, RefusedWriter
from app.ingest.sentences import ingest_sentences
from app.ingest.text import RuleOptions, parse_blocklist
from app.storage import make_storage
from app.storage.retrying import RetryingStorage
from ops.context import confirm_destructive, connect_database, settings_from_environment

LONG_RUN_SECONDS = 10  # without a terminal, a progress line every this many seconds


@contextmanager
def _connection() -> Iterator[Conn]:
    """An autocommit connection (each run is its own transaction), without the web app's
    statement timeout: a big load may take longer than a request should."""
    url = connect_database(settings_from_environment())
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


class _Progress:
    """A progress bar on stderr when it is a terminal; otherwise, for long runs, a line every
    LONG_RUN_SECONDS, so logs of a Job show that it is alive and how far it got."""

    def __init__(self, label: str, unit: str, after: str) -> None:
        self.label = label
        self.unit = unit
        self.after = after
        self._bar: Any = None
        self._shown = 0
        self._finished = False
        self._started = self._last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        """Report that `done` of `total` units are through."""
        if self._finished:
            return
        if sys.stderr.isatty():
            if self._bar is None:
                self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
                self._bar.__enter__()
            self._bar.update(done - self._shown)
            self._shown = done
        elif time.monotonic() - self._last >= LONG_RUN_SECONDS:
            self._last = time.monotonic()
            share = 100 * done // max(total, 1)
            click.echo(f"{self.label}: {share}% of the {self.unit} read", err=True)
        if done >= total:
            self.finish()

    def finish(self) -> None:
        """Close the bar and say what comes next."""
        self._finished = True
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        if sys.stderr.isatty() or time.monotonic() - self._started >= LONG_RUN_SECONDS:
            click.echo(f"{self.label}: {self.after}…", err=True)


def _print_report(report: IngestReport, refused_out: Path | None) -> None:
    """The header, per-language counts of a parallel file, then `N added, M refused` and the
    reasons below it."""
    if report.batch_id is None:
        click.echo(f"dry run of {report.source}: nothing was written")
    else:
        where = ", ".join(report.languages)
        click.echo(f"batch {report.batch_id}: {report.source} ({report.kind}, {where})")
    if len(report.languages) > 1:
        for code in report.languages:
            refused = sum(report.refused_by_language.get(code, {}).values())
            click.echo(f"  {code}: {report.added[code]} added, {refused} refused")
    if refused_out is not None:
        click.echo(f"refusals written to {refused_out}")
    if report.seconds:
        click.echo(report.timing())
    click.echo(report.summary())
    for line in report.reason_lines():
        click.echo(line)


@click.group()
def ingest() -> None:
    """Load sentences and media items; list, retire and re-activate batches (one per run)."""


@ingest.command("sentences")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--language",
    "-l",
    metavar="CODE",
    help="Language code, e.g. hi. Required for a text file; picks one column of a CSV/TSV.",
)
@click.option("--dry-run", is_flag=True, help="Check everything and report; write nothing.")
@click.option(
    "--refused-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the refused lines to this TSV file (where, language, reason, text).",
)
@click.option(
    "--blocklist",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of offensive words or phrases, one a line; sentences with any are refused.",
)
@click.option(
    "--min-words",
    type=click.IntRange(1, 500),
    default=1,
    show_default=True,
    help="Fewest words a sentence may have.",
)
@click.option(
    "--max-words",
    type=click.IntRange(1, 500),
    default=14,
    show_default=True,
    help="Most words a sentence may have.",
)
@click.option("--allow-digits", is_flag=True, help="Keep sentences with digits.")
@click.option("--allow-urls", is_flag=True, help="Keep sentences with web or e-mail addresses.")
@click.option(
    "--encoding",
    metavar="NAME",
    help="Read FILE in this encoding (e.g. cp1252, utf-16) instead of UTF-8.",
)
def sentences(
    file: Path,
    language: str | None,
    dry_run: bool,
    refused_out: Path | None,
    blocklist: Path | None,
    min_words: int,
    max_words: int,
    allow_digits: bool,
    allow_urls: bool,
    encoding: str | None,
) -> None:
    """Add the sentences of FILE, one batch per run.

    FILE is UTF-8 text (with or without a byte-order mark; another encoding with
    --encoding): one sentence a line (.txt or any other name; --language is required), or
    CSV/TSV (.csv, .tsv) whose header names the language of each column (English, Hindi...
    or en, hi...), for parallel sentences. A file that does not decode is refused whole.
    A CSV/TSV record is one item with its translations, added whole or refused whole (the
    refused cells with their reasons), as one batch; --language picks a single column.

    Lines are normalised (Unicode NFC, whitespace) and refused when empty, with digits or
    web addresses, with characters outside the language's script, shorter or longer than
    the word limits, with a blocked word, repeated in the file, or already in the database.
    Ends with `N added, M refused` and the reasons. A failed run writes nothing.
    """
    if min_words > max_words:
        raise click.UsageError("--min-words is larger than --max-words")
    blocked = frozenset[str]()
    if blocklist is not None:
        blocked = parse_blocklist(blocklist.read_text(encoding="utf-8-sig", errors="replace"))
    options = RuleOptions(
        min_words=min_words,
        max_words=max_words,
        allow_digits=allow_digits,
        allow_urls=allow_urls,
        blocklist=blocklist.name if blocklist else None,
    )
    after = "checking against the database" if dry_run else "loading into the database"
    progress = _Progress(file.name, "file", after)
    with _connection() as conn, _refused_writer(refused_out) as on_refused:
        report = ingest_sentences(
            conn,
            file,
            language=language,
            options=options,
            blocked=blocked,
            dry_run=dry_run,
            encoding=encoding,
            on_refused=on_refused,
            progress=progress,
        )
    _print_report(report, refused_out)


@ingest.command("media")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--language", "-l", metavar="CODE", required=True, help="Language code, e.g. hi.")
@click.option("--kind", type=click.Choice(["audio", "image"]), required=True)
@click.option("--dry-run", is_flag=True, help="Check and measure everything; write nothing.")
@click.option(
    "--refused-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the refused items to this TSV file (where, language, reason, text).",
)
@click.option(
    "--encoding",
    metavar="NAME",
    help="Read the manifest and the .txt texts in this encoding (e.g. cp1252) instead of UTF-8.",
)
def media(
    source: Path,
    language: str,
    kind: str,
    dry_run: bool,
    refused_out: Path | None,
    encoding: str | None,
) -> None:
    """Add audio clips with transcripts, or images with reference text, from SOURCE.

    SOURCE is a folder or an archive (.zip, .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz) of
    pairs `x.wav` + `x.txt` (the text of x.wav), or a manifest (.csv/.tsv) with columns
    `file` and `text` (paths relative to the manifest; an optional `language` column keeps
    only the rows for --language). Audio is decoded and measured (RECORDING_MIN_SECONDS to
    RECORDING_MAX_SECONDS); images must be JPEG, PNG or WebP of at most 20 MB and 50
    million pixels, and are decoded, measured, turned upright by their EXIF orientation
    and stored again without EXIF or other metadata. Media is copied to storage under keys
    derived from its content, so running again adds nothing.
    """
    settings = settings_from_environment()
    limits = AudioLimits(min_ms=settings.recording_min_ms, max_ms=settings.recording_max_ms)
    storage = RetryingStorage(make_storage(settings))  # batch work: see app.storage.retrying
    if not dry_run:
        storage.check()
    after = "done, nothing written" if dry_run else "recording the batch"
    progress = _Progress(source.name, "items", after)
    with _connection() as conn, _refused_writer(refused_out) as on_refused:
        report = ingest_media(
            conn,
            storage,
            source,
            language=language,
            kind=kind,
            limits=limits,
            max_bytes=MAX_MEDIA_BYTES,
            dry_run=dry_run,
            encoding=encoding,
            on_refused=on_refused,
            progress=progress,
        )
    _print_report(report, refused_out)


@ingest.command("batches")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def batches(limit: int) -> None:
    """List the newest batches: id, kind, language, counts, whether active, source."""
    with _connection() as conn:
        rows = list_batches(conn, limit=limit)
    click.echo(
        f"{'id':>6}  {'kind':<9} {'lang':<5} {'added':>8} {'refused':>8}  "
        f"{'active':<6}  {'created (UTC)':<16}  source"
    )
    for row in rows:
        created = row["created_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        click.echo(
            f"{row['id']:>6}  {row['kind']:<9} {row['language_code'] or '*':<5} "
            f"{row['added_count']:>8} {row['refused_count']:>8}  "
            f"{'yes' if row['is_active'] else 'no':<6}  {created:<16}  {row['source']}"
        )


@ingest.command("retire")
@click.argument("batch_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask (needed when stdin is not a terminal).")
def retire(batch_id: int, yes: bool) -> None:
    """Take every item of batch BATCH_ID out of the queues (reversible with `activate`).

    Volunteers stop seeing its items at once, so it asks first on a terminal and needs
    --yes otherwise.
    """
    with _connection() as conn:
        confirm_destructive(f"take every item of batch {batch_id} out of the queues", yes)
        batch = set_batch_active(conn, batch_id, False)
    click.echo(f"batch {batch_id} retired: {batch['rows_changed']} items out of the queues")


@ingest.command("activate")
@click.argument("batch_id", type=int)
def activate(batch_id: int) -> None:
    """Put every item of batch BATCH_ID back into the queues."""
    with _connection() as conn:
        batch = set_batch_active(conn, batch_id, True)
    click.echo(f"batch {batch_id} active: {batch['rows_changed']} items back in the queues")


@contextmanager
def _refused_writer(path: Path | None) -> Iterator[RefusedWriter | None]:
    if path is None:
        yield None
        return
    with path.open("w", encoding="utf-8", newline="") as out:
        yield RefusedWriter(out)
