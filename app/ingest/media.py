"""`ingest_media`: audio clips with transcripts, or images with reference text, as one batch.

Each item is checked (audio decoded and measured by `app.audio.analyse_recording`, images
decoded, measured and stripped of their metadata by `app.ingest.images.check_image`), copied
to storage under a key derived from its content, and becomes a `dataset_rows` row of kind
audio or image with its text and measures (an audio clip's duration, an image's width,
height and format). Because the key is a hash of the bytes received, a re-run finds every
item already present (the unique index on media_key) and nothing is stored twice; an
image's key names the file as received, the stored object is its stripped copy.

Objects are written before rows, as everywhere in the product; the rows go in with the batch
in one transaction, and if that fails (or the run stops half-way) the objects this run wrote
are deleted again, so a failed run leaves database and bucket as they were.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from app.audio import DEFAULT_LIMITS, AudioLimits, NotAudio, RecordingRefused, analyse_recording
from app.db import Conn, describe_db_error
from app.errors import CrowdsourceError
from app.ingest.images import MAX_IMAGE_BYTES, ImageRefused, check_image
from app.ingest.media_sources import READ_ERRORS, MediaCandidate, TooLarge, open_media_source
from app.ingest.report import IngestReport, Refusal
from app.ingest.sentences import IngestFailed, UnknownLanguageCode
from app.ingest.text import MAX_CHARS, ScriptCheck, normalize
from app.storage import Storage
from app.storage.keys import media_key

MAX_MEDIA_BYTES = 50 * 1024 * 1024
# Fixed forever: media keys are uuid5(MEDIA_NAMESPACE, "<kind>:<language>:<sha256 of bytes>").
MEDIA_NAMESPACE = uuid.UUID("6f1c3c52-5d0e-4a8e-9d43-2c1f0b7e9a10")
_AUDIO_REFUSALS = {"too_short": "audio_too_short", "too_long": "audio_too_long"}

_PRESENT = "SELECT 1 FROM dataset_rows WHERE media_key = %s"

_CREATE_BATCH = """
INSERT INTO ingest_batches (kind, language_code, source, options)
VALUES (%(kind)s, %(language)s, %(source)s, %(options)s)
RETURNING id
"""

_INSERT = """
INSERT INTO dataset_rows (language_code, kind, text, media_key, media_duration_ms,
                          media_measures, source, batch_id)
VALUES (%(language)s, %(kind)s, %(text)s, %(key)s, %(duration_ms)s,
        %(measures)s, %(source)s, %(batch)s)
ON CONFLICT DO NOTHING
RETURNING media_key
"""

_FINISH_BATCH = """
UPDATE ingest_batches
   SET added_count = %(added)s, refused_count = %(refused)s, refusals = %(refusals)s
 WHERE id = %(batch)s
"""


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MediaItem:
    """A checked item, ready to store: where it came from, its text, key and measures."""

    name: str
    text: str
    key: str
    content_type: str
    duration_ms: int | None  # audio
    measures: dict[str, Any] | None  # image: width, height, format
    data: bytes


def ingest_media(
    conn: Conn,
    storage: Storage,
    path: Path,
    *,
    language: str,
    kind: str,
    limits: AudioLimits = DEFAULT_LIMITS,
    max_bytes: int = MAX_MEDIA_BYTES,
    dry_run: bool = False,
    encoding: str | None = None,
    on_refused: Callable[[Refusal], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest the items of `path` (folder, archive or manifest) for `language` as one batch
    of `kind` ("audio" or "image"); return the report. A dry run checks and measures
    everything and writes nothing. A manifest and the .txt texts are read as UTF-8 unless
    `encoding` names another codec; a manifest that does not decode is refused whole.

    Raises UnknownLanguageCode, BadMediaSource, StorageError (objects written so far removed),
    IngestFailed when the database refuses the rows (objects removed, nothing written).
    """
    if kind not in ("audio", "image"):
        raise CrowdsourceError(f"unknown media kind {kind!r} (expected audio or image)")
    row = conn.execute("SELECT script FROM languages WHERE code = %s", (language,)).fetchone()
    if row is None:
        raise UnknownLanguageCode(f"there is no language with code {language[:20]!r}")
    script = ScriptCheck(row["script"], allow_digits=True)
    report = IngestReport(path.name, kind, [language], dry_run)
    items: list[MediaItem] = []
    written: list[str] = []
    seen: set[str] = set()

    def refuse(name: str, reason: str, text: str) -> None:
        report.refuse(language, reason)
        if on_refused is not None:
            on_refused(Refusal(name, language, reason, text))

    started = time.monotonic()
    try:
        with open_media_source(path, kind, language=language, encoding=encoding) as candidates:
            for done, candidate in enumerate(candidates, start=1):
                try:
                    item = _check(candidate, kind, language, script, limits, max_bytes)
                    if item.key in seen:
                        raise _Refused("duplicate_in_file")
                    seen.add(item.key)
                    if conn.execute(_PRESENT, (item.key,)).fetchone() is not None:
                        raise _Refused("already_present")
                except _Refused as refusal:
                    refuse(candidate.name, refusal.reason, normalize(candidate.text or ""))
                else:
                    if not dry_run and not storage.exists(item.key):
                        storage.put(item.key, item.data, content_type=item.content_type)
                        written.append(item.key)
                    items.append(_without_data(item))
                if progress is not None:
                    progress(done, len(candidates))
        report.seconds["checking and storing"] = time.monotonic() - started
        started = time.monotonic()
        if not dry_run:
            _insert(conn, report, items, path.name, limits, max_bytes, refuse)
            report.seconds["database"] = time.monotonic() - started
        else:
            report.added[language] = len(items)
    except psycopg.Error as exc:
        _remove(storage, written)
        raise IngestFailed(
            f"{path.name}: the database refused the load, nothing was written: "
            f"{describe_db_error(exc)}"
        ) from exc
    except BaseException:
        _remove(storage, written)
        raise
    return report


def _check(
    candidate: MediaCandidate,
    kind: str,
    language: str,
    script: ScriptCheck,
    limits: AudioLimits,
    max_bytes: int,
) -> MediaItem:
    """The item, checked and measured; raises _Refused with the reason."""
    if candidate.refusal is not None or candidate.read is None:
        raise _Refused(candidate.refusal or "unsafe_path")
    text = normalize(candidate.text or "")
    if not text or "\ufffd" in text or len(text) > MAX_CHARS or not script.allows(text):
        raise _Refused("bad_text")
    try:
        data = candidate.read(max_bytes if kind == "audio" else min(max_bytes, MAX_IMAGE_BYTES))
    except TooLarge:
        raise _Refused("too_large") from None
    except READ_ERRORS:
        raise _Refused("unreadable") from None
    digest = hashlib.sha256(data).hexdigest()  # of the bytes received, stripped or not
    duration_ms: int | None = None
    measures: dict[str, Any] | None = None
    if kind == "audio":
        try:
            report = analyse_recording(data, limits)
        except NotAudio:
            raise _Refused("not_audio") from None
        except RecordingRefused as exc:
            raise _Refused(_AUDIO_REFUSALS.get(exc.code, exc.code)) from None
        content_type, extension, duration_ms = (
            report.mime_type,
            report.extension,
            report.duration_ms,
        )
    else:
        try:
            image = check_image(data)
        except ImageRefused as exc:
            raise _Refused(exc.code) from None
        content_type, extension, measures = image.content_type, image.extension, image.measures()
        data = image.data
    ident = uuid.uuid5(MEDIA_NAMESPACE, f"{kind}:{language}:{digest}")
    key = media_key(kind, language, ident, extension)
    return MediaItem(candidate.name, text, key, content_type, duration_ms, measures, data)


def _without_data(item: MediaItem) -> MediaItem:
    """The item without its bytes (stored already), so a long run holds only metadata."""
    return replace(item, data=b"")


def _insert(
    conn: Conn,
    report: IngestReport,
    items: list[MediaItem],
    source: str,
    limits: AudioLimits,
    max_bytes: int,
    refuse: Callable[[str, str, str], None],
) -> None:
    """The batch and its rows in one transaction; rows another run added meanwhile are
    counted as already present."""
    language = report.languages[0]
    options: dict[str, Any] = {"max_bytes": max_bytes}
    if report.kind == "audio":
        options.update(min_ms=limits.min_ms, max_ms=limits.max_ms)
    with conn.transaction():
        params = {"kind": report.kind, "language": language, "source": source[:200]}
        batch = conn.execute(_CREATE_BATCH, {**params, "options": Jsonb(options)}).fetchone()
        assert batch is not None
        report.batch_id = int(batch["id"])
        inserted: set[str] = set()
        if items:
            with conn.cursor() as cur:
                cur.executemany(
                    _INSERT, [_row(report, item, source) for item in items], returning=True
                )
                while True:
                    for row in cur.fetchall():
                        inserted.add(row["media_key"])
                    if not cur.nextset():
                        break
        for item in items:
            if item.key not in inserted:
                refuse(item.name, "already_present", item.text)
        report.added[language] = len(inserted)
        conn.execute(
            _FINISH_BATCH,
            {
                "batch": report.batch_id,
                "added": report.added_count,
                "refused": report.refused_count,
                "refusals": Jsonb(dict(report.refused)),
            },
        )


def _row(report: IngestReport, item: MediaItem, source: str) -> dict[str, Any]:
    return {
        "language": report.languages[0],
        "kind": report.kind,
        "text": item.text,
        "key": item.key,
        "duration_ms": item.duration_ms,
        "measures": Jsonb(item.measures) if item.measures is not None else None,
        "source": f"{source}:{item.name}"[:200],
        "batch": report.batch_id,
    }


def _remove(storage: Storage, keys: list[str]) -> None:
    """Best effort: delete the objects this run wrote (a failure here must not hide the
    error that stopped the run)."""
    for key in keys:
        with contextlib.suppress(Exception):
            storage.delete(key)
