"""The check every uploaded recording goes through before we store it.

`analyse_recording` decodes the upload in memory with PyAV, refuses what is not a sound
recording in one of the containers browsers produce, measures it on 16 kHz mono float32 and
refuses recordings that are too short, too long, silent, heavily clipped, or in which nobody
speaks (a voice-activity detector, `app.audio.vad`, tells speech from noise, tones, music,
hum and clicks). The upload comes
from the internet, so decoding is bounded (demuxers allow-listed, packets capped, decoding
stops just past the length limit) and every PyAV/FFmpeg failure becomes `NotAudio`.

A refusal's message is a `Text` (app/i18n/text.py): the upload's 415/422 answer gives it in the
volunteer's language. The refusal is also kept (upload_refusals: its code and the English
message) for "my contributions"; that list is read later, maybe in another language, so
`stored_refusal` maps a kept English message back to its `Text` when GET /me/contributions
reads it (app/contributors/views.py). Nothing stored changes; a message this code no longer
makes (an older wording) is shown as it was kept.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.audio.decode import DecodedAudio, Undecodable, decode_audio
from app.audio.snr import wada_snr
from app.audio.vad import speech_frames
from app.errors import CrowdsourceError
from app.i18n.text import Text

DBFS_FLOOR = -120.0

_NOT_AUDIO_MESSAGES = {
    "unreadable": Text(
        "We couldn't read your upload as a sound recording. "
        "Please record again with the Record button and try once more."
    ),
    "no_audio": Text(
        "We couldn't find any sound in your upload. "
        "Please record again with the Record button and try once more."
    ),
    "video": Text("Your upload contains video. Please send a sound recording only."),
}
_UNACCEPTED_FORMAT = Text(
    "We can't use this kind of audio file. Please record in the browser with the Record "
    "button (or upload WebM, Ogg, MP4, WAV or MP3)."
)
_SILENT = Text(
    "We couldn't hear anything in your recording. Please check your microphone is on "
    "and not muted, then try again."
)
_CLIPPED = Text(
    "Your recording sounds distorted because the microphone level is too high. Please "
    "move a little further from the microphone and try again."
)
_NO_SPEECH = Text(
    "We couldn't hear anyone speaking in your recording, only other sounds. Please "
    "read the sentence aloud, close to the microphone, and try again."
)


class NotAudio(CrowdsourceError):
    """The upload is not a sound recording we can read (or not in a container we accept)."""

    code = "not_audio"
    http_status = 415


class RecordingRefused(CrowdsourceError):
    """A readable recording that we will not keep; `code` says why: too_short, too_long,
    silent, clipped or no_speech. `report` holds the measures, unless decoding stopped at the
    limit (speech_ratio and speech_run_ms are 0 when refused before the speech check)."""

    code = "recording_refused"
    http_status = 422

    def __init__(self, message: str, *, code: str, report: AudioReport | None = None) -> None:
        super().__init__(message, code=code)
        self.report = report


@dataclass(frozen=True)
class AudioReport:
    """What we measured on an accepted recording."""

    container: str
    codec: str
    mime_type: str
    extension: str
    sample_rate: int
    channels: int
    duration_ms: int
    rms_dbfs: float
    peak_dbfs: float
    speech_ratio: float  # share of the 32 ms windows the voice-activity detector calls speech
    speech_run_ms: int  # the longest stretch of consecutive speech windows
    snr_db: float | None
    clipping_ratio: float

    def measures(self) -> dict[str, Any]:
        """The measures as a JSON-ready dict, rounded to what is meaningful."""
        return {
            "duration_ms": self.duration_ms,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "rms_dbfs": round(self.rms_dbfs, 1),
            "peak_dbfs": round(self.peak_dbfs, 1),
            "speech_ratio": round(self.speech_ratio, 3),
            "speech_run_ms": self.speech_run_ms,
            "snr_db": None if self.snr_db is None else round(self.snr_db, 1),
            "clipping_ratio": round(self.clipping_ratio, 4),
        }


@dataclass(frozen=True)
class AudioLimits:
    """What a recording must satisfy to be kept.

    Speech: at least one stretch of `min_speech_run_ms` that the detector calls speech (a
    word; Silero's own minimum speech segment), and speech in at least `min_speech_ratio` of
    the recording (a 15 s take holding a 1 s sentence passes). On the test corpus no noise,
    tone, music or hum reached 130 ms in a row and no speech fell under 500 ms (see
    docs/benchmarks.md, "Voice-activity detection").
    """

    min_ms: int = 1000
    max_ms: int = 15000
    silence_rms_dbfs: float = -50.0
    min_speech_run_ms: int = 250
    min_speech_ratio: float = 0.05
    max_clipping_ratio: float = 0.05


DEFAULT_LIMITS = AudioLimits()


@dataclass(frozen=True)
class _Container:
    demuxer_names: frozenset[str]
    mime_type: str
    extension: str
    codecs: frozenset[str]
    any_pcm: bool = False


# Only containers browsers record into (plus wav and mp3 for uploads made elsewhere), each with
# the codecs a browser can play from it under that MIME type.
_CONTAINERS = (
    # Chrome's MediaRecorder also offers `audio/webm;codecs=pcm`.
    _Container(
        frozenset({"webm", "matroska"}),
        "audio/webm",
        "webm",
        frozenset({"opus", "vorbis"}),
        any_pcm=True,
    ),
    _Container(frozenset({"ogg"}), "audio/ogg", "ogg", frozenset({"opus", "vorbis", "flac"})),
    _Container(
        frozenset({"mp4", "mov", "m4a"}),
        "audio/mp4",
        "mp4",
        frozenset({"aac", "opus", "mp3", "flac", "alac"}),
    ),
    _Container(frozenset({"wav"}), "audio/wav", "wav", frozenset(), any_pcm=True),
    _Container(frozenset({"mp3"}), "audio/mpeg", "mp3", frozenset({"mp3"})),
)
# Given to FFmpeg so that it never even opens another demuxer (playlists, image sequences...).
_DEMUXERS = ",".join(sorted(name for c in _CONTAINERS for name in c.demuxer_names))


def sniff_mime_type(container: str, codec: str) -> tuple[str, str]:
    """The normalised MIME type and storage extension for what PyAV saw, e.g.
    ("matroska,webm", "opus") -> ("audio/webm", "webm").

    Raises NotAudio for any container/codec pair we do not accept.
    """
    names = set(container.split(","))
    for accepted in _CONTAINERS:
        if names & accepted.demuxer_names:
            if codec in accepted.codecs or (accepted.any_pcm and codec.startswith("pcm_")):
                return accepted.mime_type, accepted.extension
            break
    raise NotAudio(_UNACCEPTED_FORMAT)


def analyse_recording(data: bytes, limits: AudioLimits = DEFAULT_LIMITS) -> AudioReport:
    """Decode and measure an uploaded recording and decide whether we keep it.

    Returns the report of an accepted recording. Raises NotAudio (415) for anything we cannot
    read as audio in an accepted container, RecordingRefused (422) with code too_short,
    too_long, silent, clipped or no_speech for recordings we will not keep.
    """
    try:
        decoded = decode_audio(
            data,
            demuxers=_DEMUXERS,
            accept=sniff_mime_type,
            max_seconds=(limits.max_ms + 1000) / 1000,
        )
    except Undecodable as exc:
        raise NotAudio(_NOT_AUDIO_MESSAGES[exc.reason]) from exc
    if not decoded.complete:
        raise _too_long(limits, decoded.seconds, complete=False, claimed_us=decoded.claimed_us)
    report = _measure(decoded)
    _check_levels(report, limits)
    # The detector is the costly part (~4 ms per second of audio), so it runs last, on
    # recordings that passed every other check.
    frames = speech_frames(decoded.mono)
    report = dataclasses.replace(
        report, speech_ratio=frames.share, speech_run_ms=round(frames.longest_run_ms)
    )
    _check_speech(report, limits)
    return report


def _measure(decoded: DecodedAudio) -> AudioReport:
    mono = decoded.mono.astype(np.float64)
    mime_type, extension = sniff_mime_type(decoded.container, decoded.codec)
    rms = math.sqrt(float(np.mean(mono**2))) if mono.size else 0.0
    return AudioReport(
        container=decoded.container,
        codec=decoded.codec,
        mime_type=mime_type,
        extension=extension,
        sample_rate=decoded.sample_rate,
        channels=decoded.channels,
        duration_ms=round(decoded.seconds * 1000),
        rms_dbfs=_dbfs(rms),
        peak_dbfs=_dbfs(decoded.peak),
        speech_ratio=0.0,
        speech_run_ms=0,
        snr_db=wada_snr(mono),
        clipping_ratio=decoded.clipped_ratio,
    )


def _dbfs(amplitude: float) -> float:
    return max(DBFS_FLOOR, 20 * math.log10(amplitude)) if amplitude > 0 else DBFS_FLOOR


def _check_levels(report: AudioReport, limits: AudioLimits) -> None:
    if report.duration_ms < limits.min_ms:
        raise RecordingRefused(
            _too_short_message(
                length=_seconds(report.duration_ms, math.floor),
                minimum=_seconds(limits.min_ms, math.floor),
            ),
            code="too_short",
            report=report,
        )
    if report.duration_ms > limits.max_ms:
        raise _too_long(limits, report.duration_ms / 1000, report=report)
    if report.rms_dbfs < limits.silence_rms_dbfs:
        raise RecordingRefused(
            _SILENT,
            code="silent",
            report=report,
        )
    if report.clipping_ratio > limits.max_clipping_ratio:
        raise RecordingRefused(
            _CLIPPED,
            code="clipped",
            report=report,
        )


def _check_speech(report: AudioReport, limits: AudioLimits) -> None:
    if (
        report.speech_run_ms < limits.min_speech_run_ms
        or report.speech_ratio < limits.min_speech_ratio
    ):
        raise RecordingRefused(
            _NO_SPEECH,
            code="no_speech",
            report=report,
        )


def _too_long(
    limits: AudioLimits,
    seconds: float,
    *,
    complete: bool = True,
    claimed_us: int | None = None,
    report: AudioReport | None = None,
) -> RecordingRefused:
    """too_long, saying how long the recording is. When decoding stopped early (`complete`
    false) only the container's claim is left; it goes into the message if plausible, never
    into a decision."""
    length = _seconds(seconds * 1000, math.ceil)
    limit = _seconds(limits.max_ms, math.floor)
    message = _too_long_message(length=length, limit=limit)
    if not complete:
        if claimed_us is not None and seconds < claimed_us / 10**6 <= 3600:
            message = _too_long_message(length=_seconds(claimed_us / 1000, math.ceil), limit=limit)
        else:
            length = _seconds(seconds * 1000, math.floor)
            message = _longer_than_message(length=length, limit=limit)
    return RecordingRefused(message, code="too_long", report=report)


# The refusals that say how long: `length`, `minimum` and `limit` are durations (`_seconds`).
def _too_short_message(*, length: str, minimum: str) -> Text:
    # Translators: {length} and {minimum} are durations such as "0.4 seconds" or "1 second".
    return Text(
        "Your recording is only {length} long. Please read the whole sentence; recordings "
        "must be at least {minimum}.",
        length=length,
        minimum=minimum,
    )


def _too_long_message(*, length: str, limit: str) -> Text:
    # Translators: {length} and {limit} are durations such as "20 seconds".
    return Text(
        "Your recording is {length} long; the limit is {limit}. "
        "Please read just the sentence shown.",
        length=length,
        limit=limit,
    )


def _longer_than_message(*, length: str, limit: str) -> Text:
    # Translators: {length} and {limit} are durations such as "16 seconds"; the recording is
    # longer than {length} (how much longer is not known).
    return Text(
        "Your recording is more than {length} long; the limit is {limit}. "
        "Please read just the sentence shown.",
        length=length,
        limit=limit,
    )


def _seconds(ms: float, rounding: Callable[[float], int]) -> Text:
    """`ms` as "0.4 seconds", "1 second", "21 seconds", tenths rounded with `rounding`."""
    tenths = rounding(round(ms / 100, 6))
    text = str(tenths // 10) if tenths % 10 == 0 else f"{tenths / 10:.1f}"
    return _duration(text)


def _duration(count: str) -> Text:
    if count == "1":
        return Text("1 second")
    # Translators: a duration; {count} is a number of seconds such as 0.4, 2 or 15.5.
    return Text("{count} seconds", count=count)


_FIXED_REFUSALS = {
    str(message): message
    for message in (
        *_NOT_AUDIO_MESSAGES.values(),
        _UNACCEPTED_FORMAT,
        _SILENT,
        _CLIPPED,
        _NO_SPEECH,
    )
}
_DURATION = re.compile(r"(?P<count>\d+(?:\.\d)?) seconds?")


def _pattern(make: Callable[..., Text], *names: str) -> tuple[re.Pattern[str], Callable[..., Text]]:
    """A regular expression matching what `make` says, its durations captured by name."""
    msgid = make(**{name: f"{{{name}}}" for name in names}).msgid
    parts = re.split(r"\{(\w+)\}", msgid)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(regex), make


_DURATION_REFUSALS = (
    _pattern(_too_short_message, "length", "minimum"),
    _pattern(_too_long_message, "length", "limit"),
    _pattern(_longer_than_message, "length", "limit"),
)


def stored_refusal(message: str) -> str:
    """A refusal's message as upload_refusals keeps it (English) back as the `Text` that made
    it, so it can be shown in the reader's language; an unknown message is returned as it is."""
    fixed = _FIXED_REFUSALS.get(message)
    if fixed is not None:
        return fixed
    for pattern, make in _DURATION_REFUSALS:
        found = pattern.fullmatch(message)
        if found is None:
            continue
        durations = {}
        for name, value in found.groupdict().items():
            duration = _DURATION.fullmatch(value)
            if duration is None:
                break
            durations[name] = _duration(duration["count"])
        else:
            made = make(**durations)
            if made == message:
                return made
    return message
