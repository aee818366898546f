"""`export_language`: one language's contributions to one task as an open dataset.

Three phases, each restartable, the same for every task; what is read and written is the
task's format (base.Format: speech.py, asr.py, parallel.py, images.py):

0. Erasures: whoever asked to be erased and is in the database again (a restore of an older
   backup) is erased again first (app/contributors/tombstones.py), so no export holds them.
1. Read: one consistent database snapshot, streamed into part files.
2. Media: every clip or image fetched from storage by a pool of threads and copied, or (audio)
   transcoded by a pool of processes; each one recorded in the state folder as it lands (see
   state.py), so a rerun verifies and skips what is already there.
3. Write: the format's files (rows whose media could not be read are left out), then
   SHA256SUMS, the tarball, and the upload for a bucket output.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from app.contributors.tombstones import reapply_erasures
from app.db import describe_db_error
from app.errors import DatabaseUnavailable
from app.export.asr import Asr
from app.export.audio import AUDIO_MODES, ClipJob, ClipResult, run_pool, transcoder_pool, write_clip
from app.export.base import ExportOptions, ExportResult, Format, Run
from app.export.images import Images
from app.export.parallel import Parallel
from app.export.privacy import SpeakerIds
from app.export.rows import find_language, known_languages, snapshot
from app.export.speech import CommonVoice
from app.export.state import ExportError, ExportState
from app.export.target import Target, finish, upload
from app.export.writer import CHECKSUMS, checksum_lines, file_sha256, write_tarball, write_text
from app.storage import Storage
from app.tasks import TASKS as ALL_TASKS

# on_progress(phase, done, total): phase is "clips", "tar" or "upload"; called with done=0
# when a phase starts and after every item.
OnProgress = Callable[[str, int, int], None]
_LICENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]{0,63}")
FORMATS: dict[str, type[Format]] = {
    format.exporter: format for format in (CommonVoice, Asr, Parallel, Images)
}
# Each task's format, by the task's name (a task naming no format fails here, at import).
_FORMAT_OF = {task.name: FORMATS[task.exporter] for task in ALL_TASKS}
TASKS = tuple(_FORMAT_OF)


def export_language(
    database_url: str,
    source: Storage,
    target: Target,
    options: ExportOptions,
    *,
    salt: bytes,
    on_progress: OnProgress | None = None,
) -> ExportResult:
    """Export one language's contributions to `options.task` to `target` (see the module
    docstring); return what was written.

    Raises ExportError (bad options, unknown language, unusable output folder),
    DatabaseUnavailable, StorageError / StorageUnavailable (reading media or uploading).
    """
    _check_options(options)
    progress = on_progress or (lambda phase, done, total: None)
    with snapshot(database_url) as conn:  # before any folder is made for a mistyped code
        language = find_language(conn, options.language)
        if language is None:
            known = ", ".join(known_languages(conn))
            raise ExportError(f"unknown language {options.language!r} (known: {known})")
    _reapply_erasures(database_url, source)
    kept = {"language": options.language, "audio": options.audio}
    if options.task != "speak":  # speak's folders from before tasks resume as they are
        kept["task"] = options.task
    state = ExportState.open(target.local_dir, kept)
    try:
        dataset = _FORMAT_OF[options.task](Run(state, options, SpeakerIds(salt), dict(language)))
        with snapshot(database_url) as conn:
            total = dataset.read(conn)
        result = ExportResult(out=target.url, rows={})
        missing = _write_media(source, dataset, total, result, progress)
        files = dataset.write(missing, result)
        _remove_stale_media(state.out_dir, dataset.media_folder, set(state.clips))
        hashes = {name: file_sha256(state.out_dir / name) for name in files}
        hashes.update({path: entry[1] for path, entry in state.clips.items()})
        state.clear_parts()
        write_text(state.out_dir / CHECKSUMS, checksum_lines(hashes))
        extra = _tarball(state, options, dataset.archive_name(), hashes, result, progress)
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
    finally:
        state.close()
    finish(target, state)
    return result


def _reapply_erasures(database_url: str, source: Storage) -> None:
    """Phase 0: erase again whoever a tombstone names and the database holds (their rows
    then cannot be in the snapshot read next)."""
    try:
        conn = psycopg.connect(database_url, autocommit=True, row_factory=dict_row)
    except psycopg.OperationalError as exc:
        reason = describe_db_error(exc)
        raise DatabaseUnavailable(f"cannot connect to the database: {reason}") from None
    with conn:
        reapply_erasures(conn, source)


def _check_options(options: ExportOptions) -> None:
    if options.task not in _FORMAT_OF:
        raise ExportError(f"--task must be one of {', '.join(TASKS)}")
    if options.audio not in AUDIO_MODES:
        raise ExportError(f"--audio must be one of {', '.join(AUDIO_MODES)}")
    if options.audio != "original" and not _FORMAT_OF[options.task].audio:
        raise ExportError(f"--audio {options.audio}: the {options.task} task has no audio")
    if options.max_per_sentence < 1:
        raise ExportError("--max-per-sentence must be at least 1")
    if options.workers < 1:
        raise ExportError("--workers must be at least 1")
    if not _LICENCE.fullmatch(options.licence):
        raise ExportError(
            f"--licence {options.licence!r}: give an SPDX licence identifier such as CC0-1.0"
        )


def _write_media(
    source: Storage, dataset: Format, total: int, result: ExportResult, progress: OnProgress
) -> set[str]:
    """Phase 2: every clip or image; returns the paths whose media could not be read.
    Afterwards the state holds exactly the media written or verified by this run."""
    state, mode, workers = dataset.run.state, dataset.media_mode, dataset.run.options.workers
    missing: set[str] = set()
    written: set[str] = set()
    progress("clips", 0, total)
    with transcoder_pool(workers if mode != "original" else 1) as transcoder:

        def work(job: ClipJob) -> ClipResult:
            known = state.clips.get(job.path)
            return write_clip(source, job, state.out_dir, mode, known, transcoder)

        for done, clip in enumerate(run_pool(work, dataset.media_jobs(), workers), start=1):
            if clip.problem is not None:
                missing.add(clip.path)
                state.clips.pop(clip.path, None)
            elif clip.reused:
                result.clips_reused += 1
            else:
                state.record_clip(clip.path, clip.size, clip.sha256, clip.duration_ms)
                result.clips_written += 1
            if clip.problem is None:
                written.add(clip.path)
            progress("clips", done, total)
    result.left_out = sorted(missing)
    state.keep_only(written)
    return missing


def _remove_stale_media(out: Path, folder: str, current: set[str]) -> None:
    """Media of an earlier run that are no longer exported, and temporary files."""
    if not (out / folder).is_dir():
        return
    for entry in (out / folder).iterdir():
        if entry.is_file() and f"{folder}/{entry.name}" not in current:
            entry.unlink(missing_ok=True)


def _tarball(
    state: ExportState,
    options: ExportOptions,
    name: str,
    hashes: dict[str, str],
    result: ExportResult,
    progress: OnProgress,
) -> list[str]:
    """The tarball when asked (else remove one left by an earlier run); returns its path."""
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
