"""Recordings we keep: the shared clips, browser containers, other rates and layouts."""

from __future__ import annotations

import json
import math

import av
import numpy as np
import pytest

from app.audio import AudioReport, analyse_recording, sniff_mime_type
from tests.audio.sounds import (
    clip_bytes,
    encode,
    noise_samples,
    read_wav,
    resample,
    wav_bytes,
    wav_duration_ms,
)

WAV_CLIPS = [f"{lang}_{i}.wav" for lang in ("hi", "en") for i in range(1, 5)] + [
    "upstream_test.wav"
]


def assert_duration(report: AudioReport, true_ms: float) -> None:
    assert abs(report.duration_ms - true_ms) <= 50, (report.duration_ms, true_ms)


@pytest.mark.parametrize("name", WAV_CLIPS)
def test_speech_wav_clips_are_accepted_with_their_true_duration(name: str) -> None:
    report = analyse_recording(clip_bytes(name))

    assert (report.mime_type, report.extension) == ("audio/wav", "wav")
    assert (report.container, report.codec) == ("wav", "pcm_s16le")
    assert (report.sample_rate, report.channels) == (16000, 1)
    assert_duration(report, wav_duration_ms(name))
    assert report.snr_db is not None and math.isfinite(report.snr_db)
    assert report.speech_ratio > 0.5
    assert report.speech_run_ms >= 500
    assert report.clipping_ratio == 0.0


@pytest.mark.parametrize(
    ("name", "same_as", "mime_type", "extension"),
    [
        ("hi_1.webm", "hi_1.wav", "audio/webm", "webm"),
        ("en_1.ogg", "en_1.wav", "audio/ogg", "ogg"),
    ],
)
def test_browser_uploads_are_accepted_as_their_container(
    name: str, same_as: str, mime_type: str, extension: str
) -> None:
    report = analyse_recording(clip_bytes(name))

    assert (report.mime_type, report.extension, report.codec) == (mime_type, extension, "opus")
    assert report.sample_rate == 48000
    assert_duration(report, wav_duration_ms(same_as))


def test_speech_over_background_noise_is_accepted() -> None:
    # A fan or a street behind the volunteer, 15 dB under the voice: still speech.
    speech, rate = read_wav("hi_4.wav")
    level = float(np.sqrt(np.mean(speech**2)))
    noisy = speech + noise_samples(speech.size / rate, rate, dbfs=20 * np.log10(level) - 15)

    report = analyse_recording(wav_bytes(noisy, rate))

    assert report.speech_ratio > 0.5


def test_quiet_speech_is_accepted() -> None:
    speech, rate = read_wav("en_2.wav")

    report = analyse_recording(wav_bytes(speech * 0.1, rate))  # 20 dB quieter

    assert report.rms_dbfs < -35
    assert report.speech_run_ms >= 500


def test_stereo_44k1_wav_is_accepted_with_its_channels_and_duration() -> None:
    speech, rate = read_wav("hi_2.wav")
    left = resample(speech, rate, 44100)
    stereo = np.stack([left, 0.5 * left], axis=1)

    report = analyse_recording(wav_bytes(stereo, 44100))

    assert (report.sample_rate, report.channels) == (44100, 2)
    assert_duration(report, 1000 * left.size / 44100)


def test_opus_in_webm_made_here_is_accepted() -> None:
    speech, rate = read_wav("en_2.wav")
    data = encode(resample(speech, rate, 48000), 48000, "webm", "libopus")

    report = analyse_recording(data)

    assert (report.mime_type, report.extension) == ("audio/webm", "webm")
    assert_duration(report, wav_duration_ms("en_2.wav"))


@pytest.mark.parametrize(
    ("container", "codec", "mime_type", "extension"),
    [
        ("mp4", "aac", "audio/mp4", "mp4"),
        ("mp3", "libmp3lame", "audio/mpeg", "mp3"),
        ("mp4", "libopus", "audio/mp4", "mp4"),
    ],
)
def test_other_accepted_containers(container: str, codec: str, mime_type: str, extension: str):
    try:
        av.codec.Codec(codec, "w")
    except av.error.FFmpegError:
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    speech, rate = read_wav("hi_3.wav")
    data = encode(resample(speech, rate, 48000), 48000, container, codec)

    report = analyse_recording(data)

    assert (report.mime_type, report.extension) == (mime_type, extension)
    # Encoder padding (AAC priming, mp3 frames) is within the tolerance at 48 kHz.
    assert_duration(report, wav_duration_ms("hi_3.wav"))


def test_duration_comes_from_the_samples_not_from_the_header() -> None:
    speech, rate = read_wav("en_1.wav")
    data = bytearray(wav_bytes(speech, rate))
    data[40:44] = (3600 * 16000 * 2).to_bytes(4, "little")  # data chunk claims one hour

    report = analyse_recording(bytes(data))

    assert_duration(report, wav_duration_ms("en_1.wav"))


def test_measures_are_json_ready_and_rounded() -> None:
    report = analyse_recording(clip_bytes("upstream_test.wav"))

    measures = report.measures()

    assert json.loads(json.dumps(measures)) == measures
    assert set(measures) == {
        "duration_ms",
        "sample_rate",
        "channels",
        "rms_dbfs",
        "peak_dbfs",
        "speech_ratio",
        "speech_run_ms",
        "snr_db",
        "clipping_ratio",
    }
    assert measures["rms_dbfs"] == round(report.rms_dbfs, 1)


@pytest.mark.parametrize(
    ("container", "codec", "expected"),
    [
        ("matroska,webm", "opus", ("audio/webm", "webm")),
        ("matroska,webm", "pcm_f32le", ("audio/webm", "webm")),
        ("ogg", "vorbis", ("audio/ogg", "ogg")),
        ("mov,mp4,m4a,3gp,3g2,mj2", "aac", ("audio/mp4", "mp4")),
        ("wav", "pcm_s24le", ("audio/wav", "wav")),
        ("mp3", "mp3", ("audio/mpeg", "mp3")),
    ],
)
def test_sniff_mime_type_normalises_what_pyav_saw(
    container: str, codec: str, expected: tuple[str, str]
) -> None:
    assert sniff_mime_type(container, codec) == expected
