"""`crowdsource export --language hi [--task speak|transcribe|translate|label]
--out DIR|s3://bucket/prefix|gs://bucket/prefix`: one language's contributions to a task as
an open dataset (see app/export)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from app.export import (
    TASKS,
    ExportError,
    ExportOptions,
    ExportResult,
    default_salt,
    export_language,
    open_target,
)
from app.export.audio import AUDIO_MODES
from app.export.base import archive_name
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
@click.option(
    "--language",
    "language",
    required=True,
    metavar="CODE",
    help="Language code (for translate: the language translated into).",
)
@click.option(
    "--task",
    type=click.Choice(TASKS),
    default="speak",
    show_default=True,
    help="Whose contributions: recordings (speak, Common Voice layout), transcripts with their "
    "clips (transcribe), translations as TSV and TMX (translate), labels with their images "
    "(label).",
)
@click.option(
    "--out",
    metavar="DIR|s3://BUCKET/PREFIX|gs://BUCKET/PREFIX",
    help="Where to write (a bucket output is staged locally, then uploaded).  "
    "[default: ./crowdsource-CODE for speak, ./crowdsource-TASK-CODE for the others]",
)
@click.option(
    "--max-per-sentence",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="Most accepted contributions of one item (sentence, clip, prompt, image) in "
    "train/dev/test (the rest stay in the file of accepted ones).",
)
@click.option(
    "--audio",
    type=click.Choice(AUDIO_MODES),
    default="original",
    show_default=True,
    help="Clips as uploaded, or transcoded to 16 kHz mono FLAC or WAV (speak, transcribe).",
)
@click.option(
    "--tar", "make_tar", is_flag=True, help="Also write the export as one .tar.gz beside it."
)
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
    task: str,
    out: str | None,
    max_per_sentence: int,
    audio: str,
    make_tar: bool,
    salt: str | None,
    licence: str,
    workers: int,
    staging: Path | None,
) -> None:
    """Export a language's contributions to a task as an open dataset.

    speak (the default): recordings in Common Voice's layout. Writes validated.tsv
    (accepted), invalidated.tsv (rejected), other.tsv (pending), speaker-disjoint train.tsv /
    dev.tsv / test.tsv (accepted only), all with exactly Common Voice's columns; reported.tsv
    (reported sentences, as Common Voice), clip_durations.tsv, our own columns in
    crowdsource_extra.tsv and crowdsource_reported.tsv, the audio under clips/, a README.md
    datasheet and SHA256SUMS.
    transcribe: clips/ and transcripts.tsv (Common Voice's columns where they apply);
    translate: translations.tsv and translations.tmx; label: images/, labels.tsv and
    labels.jsonl; each with rejected.tsv, pending.tsv and train/dev/test.tsv (splits keep a
    clip, a source sentence or an image on one side), a README.md datasheet and SHA256SUMS.
    Contributors appear only as salted hashes. An interrupted export resumes when run again
    with the same --out: media already written and verified are not fetched again.
    """
    settings = settings_from_environment()
    if salt is not None and len(salt) < MIN_SALT_CHARS:
        raise ExportError(f"--salt must be at least {MIN_SALT_CHARS} characters")
    salt_bytes = salt.encode() if salt is not None else default_salt(settings)
    target = open_target(
        out or archive_name(ExportOptions(language=language, task=task)), settings, staging
    )
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
        task=task,
    )
    bars = ProgressBars()
    try:
        result = export_language(url, source, target, options, salt=salt_bytes, on_progress=bars)
    finally:
        bars.close()
    click.echo(_summary(task, language, result, uploaded=target.bucket is not None))
    if result.left_out:
        shown = ", ".join(result.left_out[:3]) + (" ..." if len(result.left_out) > 3 else "")
        click.echo(
            f"crowdsource: warning: {len(result.left_out):,} "
            + (
                "recording(s) had no readable audio and were left out"
                if task == "speak"
                else "media file(s) could not be read; their contributions were left out"
            )
            + f": {shown}",
            err=True,
        )
    for note in result.notes:
        click.echo(f"crowdsource: note: {note}", err=True)


def _summary(task: str, language: str, result: ExportResult, *, uploaded: bool) -> str:
    """The line that says what was exported."""
    rows = result.rows
    if task == "speak":
        files = (
            f"{rows['validated.tsv']:,} validated, {rows['invalidated.tsv']:,} invalidated, "
            f"{rows['other.tsv']:,} other"
        )
        what = language
    else:
        accepted = next(iter(rows))  # the format's file of accepted contributions comes first
        files = (
            f"{rows[accepted]:,} accepted, {rows['rejected.tsv']:,} rejected, "
            f"{rows['pending.tsv']:,} pending"
        )
        what = f"{task} {language}"
    media = {"translate": "", "label": "images"}.get(task, "clips")
    return (
        f"exported {what} to {result.out}: {files}; "
        f"train {rows['train.tsv']:,}, dev {rows['dev.tsv']:,}, test {rows['test.tsv']:,}"
        + (
            f"; {result.clips_written:,} {media} written, {result.clips_reused:,} already there"
            if media
            else ""
        )
        + (f"; {result.tarball}" if result.tarball else "")
        + (f"; {result.uploaded:,} objects uploaded" if uploaded else "")
    )
