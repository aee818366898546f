"""Bounded, in-memory decoding of an untrusted upload with PyAV.

Only allow-listed demuxers are opened, the number of packets is capped, and decoding stops as
soon as the decoded audio passes `max_seconds`, so a small file that decodes to hours costs
no more than one that decodes to `max_seconds`. Every PyAV/FFmpeg failure becomes
`Undecodable`; `app.audio.analysis` turns that into the error a volunteer sees.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.container import InputContainer
from av.error import FFmpegError

from app.audio.resample import MonoResampler

ANALYSIS_RATE = 16_000
# A 15 s opus recording is ~750 packets; this only stops files built to make us spin.
MAX_PACKETS = 20_000
CLIP_LEVEL = 0.999
PROBE_BYTES = "2048"
BATCH_FRAMES = 64  # frames resampled at a time (~1.3 s of opus)

# What decoding bad input raises: FFmpeg's errors (subclasses of OSError, ValueError...) and
# the plain ones PyAV raises around them (e.g. a resampler fed a frame whose format changed).
_DECODE_ERRORS = (FFmpegError, OSError, ValueError, EOFError, RuntimeError)

# FFmpeg decoders named unlike their codec (PyAV 12-14 lack `Codec.canonical_name`).
_CODEC_OF_DECODER = {
    "mp3float": "mp3",
    "aac_fixed": "aac",
    "libopus": "opus",
    "libvorbis": "vorbis",
}

_PICTURE_CODECS = frozenset({"mjpeg", "png", "bmp", "gif", "webp", "tiff"})


class Undecodable(Exception):
    """The upload cannot be decoded as audio; `reason` is unreadable, no_audio or video."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DecodedAudio:
    """The first audio stream of an upload, as far as it decoded."""

    container: str  # the demuxer's name, e.g. "matroska,webm"
    codec: str  # e.g. "opus"
    sample_rate: int  # native, of the first frame
    channels: int
    seconds: float  # counted from decoded samples at the native rate
    complete: bool  # false when decoding stopped at max_seconds
    claimed_us: int | None  # the container's own duration claim (untrusted)
    mono: npt.NDArray[np.float32]  # at ANALYSIS_RATE, full scale = 1.0
    peak: float  # largest |sample| over every channel at the native rate, at most 1.0
    clipped_ratio: float  # fraction of native samples with |x| >= CLIP_LEVEL


def decode_audio(
    data: bytes,
    *,
    demuxers: str,
    accept: Callable[[str, str], object],
    max_seconds: float,
) -> DecodedAudio:
    """Decode the first audio stream of `data` into 16 kHz mono float32 plus native-rate
    peak and clipping counts.

    `demuxers` is FFmpeg's comma-separated allow-list; `accept(container, codec)` is called
    before any decoding and may raise to refuse the stream. Raises Undecodable when nothing
    can be decoded; a stream that breaks part-way returns what decoded before the break.
    """
    if not data:
        raise Undecodable("unreadable")
    try:
        container = av.open(
            io.BytesIO(data),
            mode="r",
            # find_stream_info reads up to `probesize` bytes through Python's file callbacks
            # (by default the whole upload): ~3 ms of a ~7 ms check for a 50 KB wav. The
            # containers we accept carry their stream parameters in headers, and the sample
            # rate and channels we use come from the decoded frames, so a small probe suffices.
            container_options={"format_whitelist": demuxers, "probesize": PROBE_BYTES},
            metadata_errors="ignore",
        )
    except _DECODE_ERRORS as exc:
        raise Undecodable("unreadable") from exc
    with container:
        try:
            return _decode_first_audio_stream(container, accept, max_seconds)
        except _DECODE_ERRORS as exc:
            raise Undecodable("unreadable") from exc


def _decode_first_audio_stream(
    container: InputContainer, accept: Callable[[str, str], object], max_seconds: float
) -> DecodedAudio:
    if not container.streams.audio:
        raise Undecodable("no_audio")
    for video in container.streams.video:
        # Cover art in mp3/mp4 is a one-picture "video" stream (`Stream.disposition`, which says
        # so directly, needs PyAV >= 14.1); real video is refused so that we only store sound.
        if video.codec_context.name not in _PICTURE_CODECS or video.frames > 1:
            raise Undecodable("video")
    stream = container.streams.audio[0]
    container_name = container.format.name
    decoder = stream.codec_context.name
    codec = _CODEC_OF_DECODER.get(decoder, decoder)
    accept(container_name, codec)

    # The frames' samples are kept and measured, and resampled, a batch at a time: per frame,
    # the numpy and FFmpeg calls cost more than the arithmetic (an opus take has 50 frames a
    # second).
    resampler = MonoResampler("flt", ANALYSIS_RATE)
    chunks: list[npt.NDArray[Any]] = []
    natives: list[npt.NDArray[Any]] = []
    seconds, packets, batched = 0.0, 0, 0
    sample_rate = channels = 0
    complete = False
    try:
        for packet in container.demux():
            packets += 1
            if packets > MAX_PACKETS:
                raise Undecodable("unreadable")
            if packet.stream.index != stream.index:
                continue
            for frame in stream.decode(packet):
                if frame.samples <= 0 or frame.sample_rate <= 0:
                    continue
                if not sample_rate:
                    sample_rate, channels = frame.sample_rate, len(frame.layout.channels)
                natives.append(frame.to_ndarray().reshape(-1))
                seconds += frame.samples / frame.sample_rate
                resampler.push(frame)
                batched += 1
                if batched % BATCH_FRAMES == 0:
                    chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.pull())
                if seconds > max_seconds:
                    break
            if seconds > max_seconds:
                break
        else:
            complete = True
            resampler.push(None)
        chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.pull())
    except _DECODE_ERRORS:
        # A corrupt or truncated tail: keep what decoded before it, if anything did.
        if not natives:
            raise
        complete = True
        with contextlib.suppress(*_DECODE_ERRORS):
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.pull())
    if not natives:
        raise Undecodable("no_audio")
    peak, clipped, values = _levels(natives)
    mono = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    mono = np.clip(np.nan_to_num(mono, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
    return DecodedAudio(
        container=container_name,
        codec=codec,
        sample_rate=sample_rate,
        channels=channels,
        seconds=seconds,
        complete=complete,
        claimed_us=container.duration,
        mono=mono.astype(np.float32, copy=False),
        peak=min(peak, 1.0),
        clipped_ratio=clipped / values,
    )


def _levels(natives: list[npt.NDArray[Any]]) -> tuple[float, int, int]:
    """Peak |sample| (full scale 1.0), samples at or past CLIP_LEVEL, and samples, over the
    frames' native samples (measured per run of one sample format: a stream may change it)."""
    peak, clipped, values = 0.0, 0, 0
    start = 0
    for end in range(1, len(natives) + 1):
        if end < len(natives) and natives[end].dtype == natives[start].dtype:
            continue
        run = np.abs(_full_scale(np.concatenate(natives[start:end])))
        if run.size:
            peak = max(peak, float(run.max()))
            clipped += int(np.count_nonzero(run >= CLIP_LEVEL))
            values += run.size
        start = end
    return peak, clipped, values


def _full_scale(samples: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Any PCM sample format as float64 with full scale at 1.0 (NaN as 0, infinities as 1)."""
    if samples.dtype.kind in "iu":
        half = float(2 ** (samples.dtype.itemsize * 8 - 1))
        offset = half if samples.dtype.kind == "u" else 0.0
        return (samples.astype(np.float64) - offset) / half
    return np.nan_to_num(samples.astype(np.float64), nan=0.0, posinf=1.0, neginf=-1.0)
