"""`crowdsource export --language hi --out DIR|s3://bucket/prefix|gs://bucket/prefix`:
one language's recordings as an open speech dataset (see app/export)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from app.export import ExportError, ExportOptions, default_salt, export_language, open_target
from app.export.audio import AUDIO_MODES
from ops.context import checked_storage, connect_database, settings_from_environment

_LABELS = {"clips": "clips ", "tar": "tar   ", "upload": "upload"}
MIN_SALT_CHARS = 16


class ProgressBars:
    """One click progress bar per phase, on stderr (quiet when stderr is not a terminal)."""

    def __init__(self) -> None:
        self.phase: str | None = None
        self.bar: Any = None
        self.shown = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        """Move the bar of `phase` to `done` of `total` (a new phase starts a new bar)."""
        if phase != self.phase:
            self.close()
            self.phase, self.shown = phase, 0
            self.bar = click.progressbar(
                length=max(total, 1), label=_LABELS.get(phase, phase), file=sys.stderr
            )
        if done > self.shown:
            self.bar.update(done - self.shown)
            self.shown = done

    def close(self) -> None:
        """Finish the current bar, if any."""
        if self.bar is not None:
            self.bar.render_finish()
            self.bar = None


@click.command()
@click.option("--language", "language", required=True, metavar="CODE", help="Language code.")
@click.option(
    "--out",
    metavar="DIR|s3://BUCKET/PREFIX|gs://BUCKET/PREFIX",
    help="Where to write (a bucket output is staged locally, then uploaded).  "
    "[default: ./crowdsource-CODE]",
)
@click.option(
    "--max-per-sentence",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="Most recordings of one sentence in train/dev/test (the rest stay in validated.tsv).",
)
@click.option(
    "--audio",
    type=click.Choice(AUDIO_MODES),
    default="original",
    show_default=True,
    help="Clips as uploaded, or transcoded to 16 kHz mono FLAC or WAV.",
)
@click.option("--tar", "make_tar", is_flag=True, help="Also write crowdsource-CODE.tar.gz.")
@click.option(
    "--salt",
    envvar="EXPORT_SALT",
    metavar="TEXT",
    help="Secret salt of the speaker ids (also EXPORT_SALT; at least 16 characters). "
    "[default: derived from SECRET_KEY]",
)
@click.option(
    "--licence",
    default="CC0-1.0",
    show_default=True,
    help="SPDX identifier of the dataset's licence, stated in README.md.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=lambda: min(16, 2 * (os.cpu_count() or 1)),
    show_default="2 per CPU, at most 16",
    help="Clips fetched and transcoded at once.",
)
@click.option(
    "--staging",
    type=click.Path(file_okay=False, path_type=Path),
    help="Local folder for a bucket output [default: one in the temporary folder, "
    "removed after the upload].",
)
def export(
    language: str,
    out: str | None,
    max_per_sentence: int,
    audio: str,
    make_tar: bool,
    salt: str | None,
    licence: str,
    workers: int,
    staging: Path | None,
) -> None:
    """Export a language's recordings as an open speech dataset in Common Voice's layout.

    Writes validated.tsv (accepted), invalidated.tsv (rejected), other.tsv (pending),
    speaker-disjoint train.tsv / dev.tsv / test.tsv (accepted only), all with exactly Common
    Voice's columns; reported.tsv (reported sentences, as Common Voice), clip_durations.tsv,
    our own columns in crowdsource_extra.tsv and crowdsource_reported.tsv, the audio under
    clips/, a README.md datasheet and SHA256SUMS.
    Speakers appear only as salted hashes. An interrupted export resumes when run again
    with the same --out: clips already written and verified are not fetched again.
    """
    settings = settings_from_environment()
    if salt is not None and len(salt) < MIN_SALT_CHARS:
        raise ExportError(f"--salt must be at least {MIN_SALT_CHARS} characters")
    salt_bytes = salt.encode() if salt is not None else default_salt(settings)
    target = open_target(out or f"crowdsource-{language}", settings, staging)
    if target.bucket is not None:
        target.bucket.check()
    url = connect_database(settings)
    source = checked_storage(settings, batch=True)
    options = ExportOptions(
        language=language,
        max_per_sentence=max_per_sentence,
        audio=audio,
        tar=make_tar,
        licence=licence,
        workers=workers,
        reports_to_hide=settings.reports_to_hide,
    )
    bars = ProgressBars()
    try:
        result = export_language(url, source, target, options, salt=salt_bytes, on_progress=bars)
    finally:
        bars.close()
    rows = result.rows
    click.echo(
        f"exported {language} to {result.out}: {rows['validated.tsv']:,} validated, "
        f"{rows['invalidated.tsv']:,} invalidated, {rows['other.tsv']:,} other; "
        f"train {rows['train.tsv']:,}, dev {rows['dev.tsv']:,}, test {rows['test.tsv']:,}; "
        f"{result.clips_written:,} clips written, {result.clips_reused:,} already there"
        + (f"; {result.tarball}" if result.tarball else "")
        + (f"; {result.uploaded:,} objects uploaded" if target.bucket is not None else "")
    )
    if result.left_out:
        shown = ", ".join(result.left_out[:3]) + (" ..." if len(result.left_out) > 3 else "")
        click.echo(
            f"crowdsource: warning: {len(result.left_out):,} recording(s) had no readable "
            f"audio and were left out: {shown}",
            err=True,
        )
    for note in result.notes:
        click.echo(f"crowdsource: note: {note}", err=True)
