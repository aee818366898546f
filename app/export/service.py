"""`export_language`: one language's recordings as an open dataset, Common Voice style.

Three phases, each restartable:

1. Read: one consistent database snapshot, streamed into part files (rows by status).
2. Audio: every clip fetched from storage by a pool of threads and copied, or transcoded
   by a pool of processes; each one recorded in the state folder as it lands (see state.py),
   so a rerun verifies and skips what is already there.
3. Write: the TSVs (recordings whose audio could not be read are left out), the splits,
   clip_durations.tsv, reported.tsv, README.md, SHA256SUMS, the tarball; then the upload for
   a bucket output.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.export.audio import (
    AUDIO_MODES,
    ClipJob,
    ClipResult,
    clip_path,
    run_pool,
    transcoder_pool,
    write_clip,
)
from app.export.commonvoice import (
    CV_COLUMNS,
    EXTRA_COLUMNS,
    EXTRA_FILE,
    EXTRA_REPORTED_FILE,
    cv_fields,
    extra_fields,
    file_name,
    write_reports,
)
from app.export.datasheet import Demographics, FileStats, Summary, render_readme
from app.export.privacy import SpeakerIds, demographics_allowed
from app.export.rows import (
    STATUSES,
    count_speakers,
    find_language,
    iter_recordings,
    known_languages,
    read_reports,
    snapshot,
)
from app.export.splits import Candidate, plan_splits
from app.export.state import ExportError, ExportState
from app.export.target import Target, finish, upload
from app.export.writer import (
    CHECKSUMS,
    CLIENT,
    DURATION,
    DURATION_COLUMNS,
    HELD_OUT,
    MEDIA_KEY,
    PART_COLUMNS,
    PATH,
    README,
    SENTENCE_ID,
    SPLIT_FILES,
    STATUS_FILES,
    checksum_lines,
    file_sha256,
    part_fields,
    read_rows,
    reported_fields,
    tsv,
    write_tarball,
    write_text,
)
from app.stats.agreement import Agreement, language_agreement
from app.storage import Storage

# on_progress(phase, done, total): phase is "clips", "tar" or "upload"; called with done=0
# when a phase starts and after every item.
OnProgress = Callable[[str, int, int], None]
_LICENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]{0,63}")


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how (the CLI's options)."""

    language: str
    max_per_sentence: int = 1
    audio: str = "original"  # "original" | "flac" | "wav"
    tar: bool = False
    licence: str = "CC0-1.0"  # an SPDX identifier
    workers: int = 4
    reports_to_hide: int = 3  # REPORTS_TO_HIDE: recordings this reported stay out of splits
    exported_at: datetime | None = None  # default: now


@dataclass
class ExportResult:
    """What an export wrote."""

    out: str
    rows: dict[str, int]  # TSV name -> rows
    clips_written: int = 0
    clips_reused: int = 0
    left_out: list[str] = field(default_factory=list)  # clips whose audio could not be read
    tarball: str | None = None
    uploaded: int = 0
    notes: list[str] = field(default_factory=list)


def export_language(
    database_url: str,
    source: Storage,
    target: Target,
    options: ExportOptions,
    *,
    salt: bytes,
    on_progress: OnProgress | None = None,
) -> ExportResult:
    """Export one language to `target` (see the module docstring); return what was written.

    Raises ExportError (bad options, unknown language, unusable output folder),
    DatabaseUnavailable, StorageError / StorageUnavailable (reading clips or uploading).
    """
    _check_options(options)
    progress = on_progress or (lambda phase, done, total: None)
    with snapshot(database_url) as conn:  # before any folder is made for a mistyped code
        if find_language(conn, options.language) is None:
            known = ", ".join(known_languages(conn))
            raise ExportError(f"unknown language {options.language!r} (known: {known})")
    state = ExportState.open(
        target.local_dir, {"language": options.language, "audio": options.audio}
    )
    try:
        speakers = SpeakerIds(salt)
        read = _read_database(database_url, state, options, speakers)
        result = ExportResult(out=target.url, rows={})
        missing = _write_audio(source, state, options, read.total, result, progress)
        summary = _write_files(state, options, read, missing, result)
        hashes = _checksums(state)
        write_text(state.out_dir / CHECKSUMS, checksum_lines(hashes))
        extra = _tarball(state, options, hashes, result, progress)
        if target.bucket is not None:
            total = len(hashes) + len(extra) + 1
            done = iter(range(1, total + 1))
            progress("upload", 0, total)
            result.uploaded = upload(
                target,
                state,
                hashes,
                extra=extra,
                workers=options.workers,
                on_file=lambda: progress("upload", next(done), total),
            )
        if not summary.files["validated.tsv"].clips:
            result.notes.append(
                f"no accepted recordings in {options.language} yet: the splits are empty"
            )
    finally:
        state.close()
    finish(target, state)
    return result


@dataclass
class _Read:
    language: dict[str, str]
    speakers_total: int
    total: int  # recordings read
    reports: list[list[str]]  # rows of reported.tsv
    agreement: Agreement  # between validators, in the same snapshot


def _check_options(options: ExportOptions) -> None:
    if options.audio not in AUDIO_MODES:
        raise ExportError(f"--audio must be one of {', '.join(AUDIO_MODES)}")
    if options.max_per_sentence < 1:
        raise ExportError("--max-per-sentence must be at least 1")
    if options.workers < 1:
        raise ExportError("--workers must be at least 1")
    if not _LICENCE.fullmatch(options.licence):
        raise ExportError(
            f"--licence {options.licence!r}: give an SPDX licence identifier such as CC0-1.0"
        )


def _read_database(
    database_url: str, state: ExportState, options: ExportOptions, speakers: SpeakerIds
) -> _Read:
    """Phase 1: the snapshot into part files (one per status) and reported rows."""
    code = options.language
    with snapshot(database_url) as conn:
        language = find_language(conn, code)
        assert language is not None  # checked before; languages are never removed
        speakers_total = count_speakers(conn, code)
        demographics = demographics_allowed(speakers_total)
        agreement = language_agreement(conn, code)
        reports = [
            reported_fields(
                report,
                speakers=speakers,
                path=clip_path(report.public_id, report.media_key, options.audio)
                if report.public_id and report.media_key
                else "",
            )
            for report in read_reports(conn, code)
        ]
        total = 0
        header = [*PART_COLUMNS, "media_key", "held_out"]
        with (
            tsv(state.parts / "accepted.tsv", header) as accepted,
            tsv(state.parts / "rejected.tsv", header) as rejected,
            tsv(state.parts / "pending.tsv", header) as pending,
        ):
            writers = {"accepted": accepted, "rejected": rejected, "pending": pending}
            for row in iter_recordings(conn, code):
                held_out = max(row.report_count, row.sentence_report_count)
                writers[row.status](
                    part_fields(
                        row,
                        speaker=speakers(row.contributor_id),
                        path=clip_path(row.public_id, row.media_key, options.audio),
                        locale=code,
                        demographics=demographics,
                        held_out=held_out >= options.reports_to_hide,
                    )
                )
                total += 1
    return _Read(dict(language), speakers_total, total, reports, agreement)


def _part_rows(state: ExportState, status: str) -> Iterator[list[str]]:
    return read_rows(state.parts / f"{status}.tsv")


def _write_audio(
    source: Storage,
    state: ExportState,
    options: ExportOptions,
    total: int,
    result: ExportResult,
    progress: OnProgress,
) -> set[str]:
    """Phase 2: every clip; returns the paths whose audio could not be read."""
    jobs = (
        ClipJob(fields[PATH], fields[MEDIA_KEY], int(fields[DURATION] or 0))
        for status in STATUSES
        for fields in _part_rows(state, status)
    )

    missing: set[str] = set()
    progress("clips", 0, total)
    with transcoder_pool(options.workers if options.audio != "original" else 1) as transcoder:

        def work(job: ClipJob) -> ClipResult:
            known = state.clips.get(job.path)
            return write_clip(source, job, state.out_dir, options.audio, known, transcoder)

        for done, clip in enumerate(run_pool(work, jobs, options.workers), start=1):
            if clip.problem is not None:
                missing.add(clip.path)
                state.clips.pop(clip.path, None)
            elif clip.reused:
                result.clips_reused += 1
            else:
                state.record_clip(clip.path, clip.size, clip.sha256, clip.duration_ms)
                result.clips_written += 1
            progress("clips", done, total)
    result.left_out = sorted(missing)
    return missing


def _write_files(
    state: ExportState,
    options: ExportOptions,
    read: _Read,
    missing: set[str],
    result: ExportResult,
) -> Summary:
    """Phase 3: the TSVs, splits, durations, reports and the datasheet."""
    out = state.out_dir
    files = {name: FileStats() for name in [*STATUS_FILES.values(), *SPLIT_FILES.values()]}
    demographics = Demographics()
    candidates: list[Candidate] = []
    held_out = 0
    written: set[str] = set()

    def published(fields: list[str]) -> list[str]:
        row = fields[: len(PART_COLUMNS)]
        row[DURATION] = str(state.clips[row[PATH]][2])
        row[CLIENT] = sys.intern(row[CLIENT])  # one string per speaker in the sets below
        return row

    # Common Voice's columns in its files, ours in crowdsource_extra.tsv (see commonvoice.py).
    with tsv(out / EXTRA_FILE, EXTRA_COLUMNS) as extra:
        for status, name in STATUS_FILES.items():
            with tsv(out / name, CV_COLUMNS) as write:
                for fields in _part_rows(state, status):
                    if fields[PATH] in missing:
                        continue
                    row = published(fields)
                    write(cv_fields(row))
                    extra(extra_fields(row, status))
                    written.add(row[PATH])
                    files[name].add(row[CLIENT], int(row[DURATION]))
                    if status == "accepted":
                        demographics.add(row, row[CLIENT])
                        if fields[HELD_OUT]:
                            held_out += 1
                        else:
                            candidates.append(
                                Candidate(row[PATH], row[CLIENT], int(row[SENTENCE_ID]))
                            )
    plan = plan_splits(candidates, max_per_sentence=options.max_per_sentence)
    del candidates
    with (
        tsv(out / SPLIT_FILES["train"], CV_COLUMNS) as train,
        tsv(out / SPLIT_FILES["dev"], CV_COLUMNS) as dev,
        tsv(out / SPLIT_FILES["test"], CV_COLUMNS) as test,
    ):
        writers = {"train": train, "dev": dev, "test": test}
        for fields in _part_rows(state, "accepted"):
            split = plan.assignment.get(fields[PATH])
            if split is not None:
                row = published(fields)
                writers[split](cv_fields(row))
                files[SPLIT_FILES[split]].add(row[CLIENT], int(row[DURATION]))
    with tsv(out / "clip_durations.tsv", DURATION_COLUMNS) as write:
        for path in sorted(written):
            write([file_name(path), str(state.clips[path][2])])
    reported = write_reports(out, read.reports, missing, options.language)
    summary = Summary(
        language_code=options.language,
        language_name=read.language["name"],
        native_name=read.language["native_name"],
        exported_at=options.exported_at or datetime.now(UTC),
        licence=options.licence,
        audio=options.audio,
        max_per_sentence=options.max_per_sentence,
        speakers_total=read.speakers_total,
        demographics_published=demographics_allowed(read.speakers_total),
        files=files,
        plan=plan,
        held_out_reported=held_out,
        reports=len(read.reports),
        missing=len(missing),
        demographics=demographics,
        agreement=read.agreement,
    )
    write_text(out / README, render_readme(summary))
    result.rows = {name: stats.clips for name, stats in files.items()}
    result.rows["reported.tsv"] = reported
    result.rows[EXTRA_REPORTED_FILE] = len(read.reports)
    _remove_stale_clips(out, written)
    state.keep_only(written)
    state.clear_parts()
    return summary


def _remove_stale_clips(out: Path, current: set[str]) -> None:
    """Clips of an earlier run that are no longer exported, and temporary files."""
    folder = out / "clips"
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.is_file() and f"clips/{entry.name}" not in current:
            entry.unlink(missing_ok=True)


def _checksums(state: ExportState) -> dict[str, str]:
    """path -> sha256 of every file of the export (clips from the state, which verified
    them), SHA256SUMS itself excepted."""
    names = [*STATUS_FILES.values(), *SPLIT_FILES.values()]
    names += ["clip_durations.tsv", "reported.tsv", EXTRA_FILE, EXTRA_REPORTED_FILE, README]
    hashes = {name: file_sha256(state.out_dir / name) for name in names}
    hashes.update({path: entry[1] for path, entry in state.clips.items()})
    return hashes


def _tarball(
    state: ExportState,
    options: ExportOptions,
    hashes: dict[str, str],
    result: ExportResult,
    progress: OnProgress,
) -> list[str]:
    """The tarball when asked (else remove one left by an earlier run); returns its path."""
    name = f"crowdsource-{options.language}"
    tar_path = state.out_dir / f"{name}.tar.gz"
    if not options.tar:
        tar_path.unlink(missing_ok=True)
        return []
    paths = [*sorted(hashes), CHECKSUMS]
    done = iter(range(1, len(paths) + 1))
    progress("tar", 0, len(paths))
    write_tarball(
        state.out_dir,
        tar_path,
        name,
        paths,
        on_file=lambda: progress("tar", next(done), len(paths)),
    )
    result.tarball = tar_path.name
    return [tar_path.name]
