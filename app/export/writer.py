"""The files of an export: the TSVs (Common Voice layout, see commonvoice.py),
clip_durations.tsv, SHA256SUMS and the optional tarball.

TSVs are UTF-8, tab-separated, one header line, no quoting: fields never contain a tab or a
line break (sentences have them collapsed to single spaces), so any TSV reader works,
including ones that ignore quotes as the Common Voice tools do.
"""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from app.export.privacy import SpeakerIds
from app.export.rows import RecordingRow, ReportRow

# A recording as the export's part files hold it (see state.py): everything we know, from which
# the published rows are made (commonvoice.py).
PART_COLUMNS = (
    "client_id",  # salted hash of the contributor id (see privacy.py)
    "path",  # clips/<public id>.<ext>, relative to the export's root (published bare)
    "sentence_id",
    "sentence",
    "up_votes",
    "down_votes",
    "age",
    "gender",
    "mother_tongue",
    "state",
    "locale",
    "duration_ms",
    "snr_db",
)
PATH, DURATION = PART_COLUMNS.index("path"), PART_COLUMNS.index("duration_ms")
CLIENT, SENTENCE_ID = PART_COLUMNS.index("client_id"), PART_COLUMNS.index("sentence_id")
DEMOGRAPHICS = tuple(PART_COLUMNS.index(c) for c in ("age", "gender", "mother_tongue", "state"))
# Part files carry two more columns, never published.
MEDIA_KEY, HELD_OUT = len(PART_COLUMNS), len(PART_COLUMNS) + 1
STATUS_FILES = {"accepted": "validated.tsv", "rejected": "invalidated.tsv", "pending": "other.tsv"}
SPLIT_FILES = {"train": "train.tsv", "dev": "dev.tsv", "test": "test.tsv"}
DURATION_COLUMNS = ("clip", "duration[ms]")
CHECKSUMS = "SHA256SUMS"
README = "README.md"
_BREAKS = re.compile(r"[\t\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")


def clean(text: str | None) -> str:
    """A field value: None as empty, tabs and line breaks collapsed to one space."""
    if text is None:
        return ""
    return _BREAKS.sub(" ", text).strip()


def part_fields(
    row: RecordingRow,
    *,
    speaker: str,
    path: str,
    locale: str,
    demographics: bool,
    held_out: bool,
) -> list[str]:
    """A recording as a part-file row: PART_COLUMNS, then the media key and whether
    it is held out of the splits."""
    fields = [
        speaker,
        path,
        str(row.sentence_id),
        clean(row.sentence),
        str(row.up_votes),
        str(row.down_votes),
        clean(row.age_group) if demographics else "",
        clean(row.gender) if demographics else "",
        clean(row.mother_tongue) if demographics else "",
        clean(row.state) if demographics else "",
        locale,
        "" if row.duration_ms is None else str(row.duration_ms),
        "" if row.snr_db is None else f"{row.snr_db:.1f}",
    ]
    return [*fields, row.media_key, "1" if held_out else ""]


def reported_fields(report: ReportRow, *, speakers: SpeakerIds, path: str) -> list[str]:
    """A row of crowdsource_reported.tsv (commonvoice.EXTRA_REPORTED_COLUMNS): no reporter,
    no note, only what was reported and why."""
    speaker = speakers(report.contributor_id) if report.contributor_id else ""
    return [
        report.target,
        str(report.sentence_id),
        clean(report.sentence),
        path,
        speaker,
        report.reason,
        str(report.reports),
    ]


@contextmanager
def tsv(path: Path, columns: Iterable[str]) -> Iterator[Callable[[list[str]], None]]:
    """Open `path` for writing (atomically: renamed into place when the block ends) and yield
    a function that writes one row; the header is written first."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("\t".join(columns) + "\n")

        def write(fields: list[str]) -> None:
            handle.write("\t".join(fields) + "\n")

        yield write
    os.replace(temporary, path)


def read_rows(path: Path) -> Iterator[list[str]]:
    """The rows of a TSV written by `tsv` (without its header)."""
    with path.open(encoding="utf-8", newline="\n") as handle:
        next(handle, None)
        for line in handle:
            yield line.rstrip("\n").split("\t")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_lines(hashes: dict[str, str]) -> str:
    """SHA256SUMS content (`sha256sum -c` format), sorted by path."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(hashes.items()))


def write_text(path: Path, text: str) -> None:
    """Write a small text file atomically."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_tarball(
    out_dir: Path,
    tar_path: Path,
    root: str,
    paths: list[str],
    on_file: Callable[[], None] = lambda: None,
) -> None:
    """Write `paths` (relative to out_dir) into a gzip tarball under the folder `root`.

    Compression level 1: audio does not compress, and the TSVs shrink almost as well as at
    level 9. Written to a temporary name, then renamed.
    """
    temporary = tar_path.with_name(f".{tar_path.name}.tmp")
    try:
        with (
            temporary.open("wb") as raw,
            tarfile.open(fileobj=raw, mode="w:gz", compresslevel=1) as archive,
        ):
            for relative in paths:
                archive.add(out_dir / relative, arcname=f"{root}/{relative}", recursive=False)
                on_file()
        os.replace(temporary, tar_path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
