"""The takes simulated speakers upload pass the server's own audio checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.audio import AudioLimits, analyse_recording
from loadtests.clips import CLIP_BYTES, load_clips

LIMITS = AudioLimits(min_ms=1000, max_ms=15_000)  # the defaults (RECORDING_MIN/MAX_SECONDS)


def test_every_sample_becomes_a_50_kb_take_of_speech_that_the_server_accepts() -> None:
    clips = load_clips()
    assert len(clips) >= 8  # tests/data/audio has hi_1..4, en_1..4 and the upstream clip
    for clip in clips:
        assert len(clip) == CLIP_BYTES
        report = analyse_recording(clip, LIMITS)  # raises RecordingRefused if not
        assert 1000 < report.duration_ms < 2000


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_without_samples_a_synthesized_take_is_accepted_too(tmp_path: Path) -> None:
    (clip,) = load_clips(tmp_path)
    assert analyse_recording(clip, LIMITS).duration_ms > 1000
