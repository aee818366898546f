"""Uploads that are not a sound recording we can read, and hostile or broken input."""

from __future__ import annotations

import numpy as np
import pytest

import app.audio.decode
from app.audio import AudioReport, NotAudio, analyse_recording, sniff_mime_type
from app.errors import CrowdsourceError
from tests.audio.sounds import clip_bytes, encode, mp3_with_cover_art, tone_samples, video_bytes

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"


def not_audio(data: bytes) -> NotAudio:
    with pytest.raises(NotAudio) as caught:
        analyse_recording(data)
    assert (caught.value.http_status, caught.value.code) == (415, "not_audio")
    return caught.value


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(np.random.default_rng(7).bytes(50_000), id="random-bytes"),
        pytest.param(clip_bytes("hi_1.webm")[:300], id="webm-cut-after-300-bytes"),
        pytest.param(PNG_HEADER + np.random.default_rng(8).bytes(4000), id="png"),
        pytest.param("नमस्ते, this is a sentence, not a recording.\n".encode() * 50, id="text"),
        pytest.param(b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n", id="playlist"),
    ],
)
def test_things_that_are_not_audio_are_refused(data: bytes) -> None:
    refused = not_audio(data)

    assert "Please record again" in refused.message


def test_a_video_without_sound_is_not_audio() -> None:
    refused = not_audio(video_bytes(with_audio=False))

    assert refused.message.startswith("We couldn't find any sound")


def test_a_video_with_sound_is_refused_so_only_sound_is_stored() -> None:
    refused = not_audio(video_bytes(with_audio=True))

    assert "contains video" in refused.message


def test_an_mp3_with_cover_art_is_still_a_sound_recording() -> None:
    report = analyse_recording(mp3_with_cover_art())

    assert (report.mime_type, report.codec) == ("audio/mpeg", "mp3")


def test_audio_in_a_container_browsers_do_not_record_is_refused() -> None:
    aiff = encode(tone_samples(2.0, 16000, dbfs=-20.0), 16000, "aiff", "pcm_s16be")

    not_audio(aiff)


@pytest.mark.parametrize(
    ("container", "codec"),
    [("matroska,webm", "aac"), ("wav", "mp3"), ("ogg", "speex"), ("flac", "flac"), ("", "")],
)
def test_sniff_mime_type_refuses_pairs_we_do_not_accept(container: str, codec: str) -> None:
    with pytest.raises(NotAudio):
        sniff_mime_type(container, codec)


def test_a_recording_broken_part_way_keeps_what_decoded() -> None:
    whole = clip_bytes("hi_1.webm")
    broken = whole[: len(whole) * 6 // 10] + np.random.default_rng(3).bytes(5000)

    report = analyse_recording(broken)

    assert 1000 < report.duration_ms < analyse_recording(whole).duration_ms


def test_too_many_packets_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.audio.decode, "MAX_PACKETS", 20)

    not_audio(clip_bytes("hi_1.webm"))


@pytest.mark.parametrize("name", ["hi_1.webm", "en_1.ogg", "hi_1.wav"])
def test_damaged_uploads_never_escape_as_anything_but_our_errors(name: str) -> None:
    original = clip_bytes(name)
    rng = np.random.default_rng(len(name))
    for _ in range(25):
        data = bytearray(original[: int(rng.integers(1, len(original) + 1))])
        for position in rng.integers(0, len(data), size=int(rng.integers(1, 40))):
            data[position] = int(rng.integers(0, 256))
        try:
            outcome: AudioReport | CrowdsourceError = analyse_recording(bytes(data))
        except CrowdsourceError as error:
            outcome = error
        assert isinstance(outcome, AudioReport | CrowdsourceError)
