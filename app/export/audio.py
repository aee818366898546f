"""The audio of an export: each clip copied as uploaded, or transcoded to 16 kHz mono FLAC or
WAV for training, written atomically and fingerprinted (size, SHA-256, duration).

Clips run in a thread pool (fetching, hashing and writing are I/O). Transcoding goes to a
pool of processes: PyAV keeps the GIL for part of its decoding, and measured on two cores,
threads transcoded no faster than one thread while processes went twice as fast.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import signal
import threading
import uuid
import wave
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import av
import numpy as np
import numpy.typing as npt
from av.error import FFmpegError

from app.audio.resample import MonoResampler
from app.errors import ObjectNotFound
from app.export.writer import file_sha256
from app.storage import Storage
from app.storage.keys import AUDIO_EXTENSIONS

AUDIO_MODES = ("original", "flac", "wav")
TARGET_RATE = 16_000
# Containers the upload check accepts; nothing else is ever opened.
_DEMUXERS = "matroska,webm,ogg,mov,mp4,m4a,wav,mp3"
# Stored recordings passed the upload check (15 s by default); this only bounds a bad object.
MAX_SECONDS = 600
_DECODE_ERRORS = (FFmpegError, OSError, ValueError, EOFError, RuntimeError)

T = TypeVar("T")
R = TypeVar("R")
Transcoder = Callable[[bytes, str], tuple[bytes, int]]


class UnreadableClip(Exception):
    """A stored recording that cannot be decoded (for transcoding)."""


@dataclass(frozen=True, slots=True)
class ClipJob:
    """One clip to write: its path in the export and where its audio is stored."""

    path: str  # e.g. "clips/<public id>.flac"
    media_key: str
    duration_ms: int  # as measured when it was uploaded


@dataclass(frozen=True, slots=True)
class ClipResult:
    """A clip as written (or found already written and verified), or why it could not be."""

    path: str
    size: int = 0
    sha256: str = ""
    duration_ms: int = 0
    reused: bool = False
    problem: str | None = None  # "missing" (no object) | "unreadable" (cannot transcode)


def clip_path(public_id: uuid.UUID | str, media_key: str, mode: str) -> str:
    """Where a recording goes in the export: `clips/<public id>.<ext>`, the extension being
    the original's (from its key) or the transcoded format's."""
    if mode == "original":
        extension = media_key.rsplit(".", 1)[-1] if "." in media_key else ""
        if extension not in AUDIO_EXTENSIONS:
            extension = "bin"
    else:
        extension = mode
    return f"clips/{uuid.UUID(str(public_id))}.{extension}"


def write_clip(
    storage: Storage,
    job: ClipJob,
    out_dir: Path,
    mode: str,
    known: tuple[int, str, int] | None = None,
    transcoder: Transcoder | None = None,
) -> ClipResult:
    """Write one clip under `out_dir` unless `known` (size, sha256, duration_ms from an
    earlier run) still matches the file there; return what is now on disk. `transcoder`
    (default: `transcode` in this process) converts the audio for modes other than original.

    Returns a result with `problem` set, and writes nothing, when the object is missing or
    cannot be decoded. Storage outages (StorageError) propagate.
    """
    target = out_dir / job.path
    if known is not None and _still_valid(target, known):
        return ClipResult(job.path, known[0], known[1], known[2], reused=True)
    try:
        data = storage.get(job.media_key)
    except ObjectNotFound:
        return ClipResult(job.path, problem="missing")
    duration_ms = job.duration_ms
    if mode != "original":
        try:
            data, duration_ms = (transcoder or transcode)(data, mode)
        except UnreadableClip:
            return ClipResult(job.path, problem="unreadable")
    _write_atomically(target, data)
    return ClipResult(job.path, len(data), hashlib.sha256(data).hexdigest(), duration_ms)


def transcode(data: bytes, mode: str) -> tuple[bytes, int]:
    """Decode any accepted recording to 16 kHz mono 16-bit and encode it as `mode` ("flac" or
    "wav"); return the bytes and the duration in ms. Raises UnreadableClip."""
    pcm = decode_pcm16(data)
    duration_ms = round(pcm.size * 1000 / TARGET_RATE)
    if mode == "wav":
        return _wav(pcm), duration_ms
    if mode == "flac":
        return _flac(pcm), duration_ms
    raise ValueError(f"unknown audio mode {mode!r}")


@contextmanager
def transcoder_pool(workers: int) -> Iterator[Transcoder]:
    """A `transcode` that runs in one of `workers` processes (the calling thread waits for
    it), or in this process when workers is 1. The processes are spawned, not forked (this
    process has threads), and leave Ctrl+C to the parent, which stops the pool."""
    if workers <= 1:
        yield transcode
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_interrupts) as pool:

        def in_pool(data: bytes, mode: str) -> tuple[bytes, int]:
            return pool.submit(transcode, data, mode).result()

        yield in_pool


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def decode_pcm16(data: bytes) -> npt.NDArray[np.int16]:
    """The first audio stream of `data` as 16 kHz mono int16 samples. Raises UnreadableClip.

    Leaner than `app.audio.decode_audio`, which also measures levels on the native samples:
    stored recordings were checked on upload, and an export decodes a hundred thousand.
    """
    chunks: list[npt.NDArray[Any]] = []
    try:
        with av.open(
            io.BytesIO(data),
            mode="r",
            container_options={"format_whitelist": _DEMUXERS},
            metadata_errors="ignore",
        ) as container:
            if not container.streams.audio:
                raise UnreadableClip("no audio stream")
            stream = container.streams.audio[0]
            resampler = MonoResampler("s16", TARGET_RATE)
            samples = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    samples += out.samples
                if samples > MAX_SECONDS * TARGET_RATE:
                    raise UnreadableClip("longer than any recording we keep")
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except _DECODE_ERRORS as exc:
        raise UnreadableClip(str(exc)) from exc
    if not chunks:
        raise UnreadableClip("no samples")
    return np.concatenate(chunks).astype(np.int16, copy=False)


def _wav(pcm: npt.NDArray[np.int16]) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(TARGET_RATE)
        writer.writeframes(pcm.astype("<i2", copy=False).tobytes())
    return out.getvalue()


def _flac(pcm: npt.NDArray[np.int16]) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="flac") as container:
        stream = container.add_stream("flac", rate=TARGET_RATE, layout="mono")
        stream.format = "s16"
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = TARGET_RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def _still_valid(path: Path, known: tuple[int, str, int]) -> bool:
    try:
        if path.stat().st_size != known[0]:
            return False
        return file_sha256(path) == known[1]
    except OSError:
        return False


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary name beside `path`, then rename: a reader (or a rerun after an
    interruption) sees the whole clip or none of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def run_pool(function: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """`function` over `items` in `workers` threads, yielding results as they complete, with
    at most a few items per worker in flight (so a long iterable is never read ahead).

    If the consumer stops (an exception, an interruption), queued items are cancelled and
    the running ones finish before the generator closes.
    """
    if workers <= 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="export") as pool:
        running: set[Future[R]] = set()
        try:
            for item in items:
                running.add(pool.submit(function, item))
                if len(running) >= workers * 4:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in running:
                future.cancel()
