"""What every export shares: its options and result, and what a task's format must do.

An export runs in phases (service.py): read the database into part files, copy the media,
write the files, checksum, pack, upload. The phases are the same for every task; what a
task's dataset holds and how its files are laid out is its `Format` (speech.py for speak,
asr.py for transcribe, parallel.py for translate, images.py for label).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import psycopg

from app.export.audio import ClipJob
from app.export.privacy import SpeakerIds
from app.export.state import ExportState


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how (the CLI's options)."""

    language: str
    max_per_sentence: int = 1  # most contributions per item in the splits
    audio: str = "original"  # "original" | "flac" | "wav"
    tar: bool = False
    licence: str = "CC0-1.0"  # an SPDX identifier
    workers: int = 4
    reports_to_hide: int = 3  # REPORTS_TO_HIDE: contributions this reported stay out of splits
    exported_at: datetime | None = None  # default: now
    task: str = "speak"  # speak | transcribe | translate | label


@dataclass
class ExportResult:
    """What an export wrote."""

    out: str
    rows: dict[str, int]  # TSV name -> rows
    clips_written: int = 0  # media files (clips or images)
    clips_reused: int = 0
    left_out: list[str] = field(default_factory=list)  # media that could not be read
    tarball: str | None = None
    uploaded: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Run:
    """What a format works with during one export."""

    state: ExportState
    options: ExportOptions
    ids: SpeakerIds  # contributor id -> published (salted, hashed) id
    language: Mapping[str, Any]  # code, name, native_name


class Format(ABC):
    """One task's dataset: what it reads, which media it copies, which files it writes.

    One instance per export: `read` (in the snapshot) leaves rows in the state's part files
    and whatever the later phases need on the instance; `media_jobs` names the files to copy
    from storage; `write` writes the published files from the part files, leaving out rows
    whose media could not be read, and returns their paths (for SHA256SUMS).
    """

    exporter: ClassVar[str]  # the name tasks give it (app/tasks: Task.exporter)
    media_folder: ClassVar[str] = "clips"  # where the copied media go
    audio: ClassVar[bool] = True  # does --audio (transcoding) apply to its media?

    def __init__(self, run: Run) -> None:
        self.run = run

    @property
    def media_mode(self) -> str:
        """How media are written: "original" (copied as stored), "flac" or "wav"."""
        return self.run.options.audio if self.audio else "original"

    def archive_name(self) -> str:
        """The tarball's name and its root folder, without extension."""
        return archive_name(self.run.options)

    @abstractmethod
    def read(self, conn: psycopg.Connection[Any]) -> int:
        """Phase 1, in the snapshot: rows into part files; return how many media jobs follow."""

    @abstractmethod
    def media_jobs(self) -> Iterator[ClipJob]:
        """Phase 2: the media to copy (each path once)."""

    @abstractmethod
    def write(self, missing: set[str], result: ExportResult) -> list[str]:
        """Phase 3: the published files (not the media), leaving out rows whose media path is
        in `missing`; fill `result.rows` and `result.notes`; return the files' paths."""


def archive_name(options: ExportOptions) -> str:
    """`crowdsource-<language>` for speak (as before tasks), `crowdsource-<task>-<language>`
    for the others."""
    if options.task == "speak":
        return f"crowdsource-{options.language}"
    return f"crowdsource-{options.task}-{options.language}"


def media_path(folder: str, media_key: str, mode: str, extensions: tuple[str, ...]) -> str:
    """Where an item's stored media goes in the export: `<folder>/<name>.<ext>`, the name
    being the key's last part without its extension (a UUID, so unique: ingested media are
    `media/<kind>/<lang>/../<uuid>.<ext>`, recordings `recordings/<lang>/../<public id>.<ext>`),
    the extension the original's (if one of `extensions`) or the transcoded format's."""
    name = media_key.rsplit("/", 1)[-1]
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if mode != "original":
        extension = mode
    elif extension not in extensions:
        extension = "bin"
    return f"{folder}/{stem}.{extension}"
