"""Checking and measuring uploaded recordings; see `analysis.analyse_recording`."""

from app.audio.analysis import (
    DEFAULT_LIMITS,
    AudioLimits,
    AudioReport,
    NotAudio,
    RecordingRefused,
    analyse_recording,
    sniff_mime_type,
    stored_refusal,
)
from app.audio.snr import wada_snr

__all__ = [
    "DEFAULT_LIMITS",
    "AudioLimits",
    "AudioReport",
    "NotAudio",
    "RecordingRefused",
    "analyse_recording",
    "sniff_mime_type",
    "stored_refusal",
    "wada_snr",
]
