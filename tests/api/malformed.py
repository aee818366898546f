"""Malformed uploads, shared by the Flask-client tests and the live-server ones: each a file a
broken or hostile client might send as `audio`, and the (status, code) it must be refused with.

Sent as real multipart parts, so werkzeug parses them as it does in production (parts over
500 KB are spooled to a temporary file)."""

from __future__ import annotations

import struct

import numpy as np

from tests.api.conftest import clip, wav_bytes

TEN_MINUTES = 600


def wav_header(*, data_bytes: int, rate: int = 16_000, bits: int = 16) -> bytes:
    """A 44-byte PCM WAV header that claims `data_bytes` of samples (which may be a lie)."""
    block = bits // 8
    riff_size = min(36 + data_bytes, 0xFFFF_FFFF)
    return (
        b"RIFF" + struct.pack("<I", riff_size) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * block, block, bits)
        + b"data" + struct.pack("<I", min(data_bytes, 0xFFFF_FFFF))
    )  # fmt: skip


def ten_minute_wav_8bit() -> bytes:
    """Ten minutes of quiet noise as 8 kHz 8-bit WAV: 4.8 MB, under the 5 MB upload limit, so
    it reaches the audio check, which must stop decoding just past the length limit."""
    rng = np.random.default_rng(7)
    samples = (128 + rng.integers(-20, 20, 8_000 * TEN_MINUTES)).astype(np.uint8)
    return wav_header(data_bytes=samples.size, rate=8_000, bits=8) + samples.tobytes()


def ten_minute_wav_16bit() -> bytes:
    """Ten minutes as 16 kHz 16-bit WAV: 19 MB, refused by size before it is even read."""
    return wav_bytes(np.zeros(16_000 * TEN_MINUTES))


TEXT_FILE = (
    b"# Shopping list\n\n- rice\n- dal\n- mangoes\n\nThis is a text file renamed take.webm.\n" * 30
)

# name -> (audio bytes, filename, part Content-Type, expected (status, code))
MALFORMED: dict[str, tuple[bytes, str, str, tuple[int, str]]] = {
    "one-byte": (b"\x1a", "take.webm", "audio/webm", (415, "not_audio")),
    "truncated-webm-header-only": (clip("hi_1.webm")[:1000], "take.webm", "audio/webm",
                                   (422, "too_short")),
    "truncated-webm-mid-cluster": (clip("hi_1.webm")[:15_000], "take.webm", "audio/webm",
                                   (422, "too_short")),
    "renamed-text-file": (TEXT_FILE, "take.webm", "audio/webm", (415, "not_audio")),
    "wav-header-without-data": (wav_header(data_bytes=0), "take.wav", "audio/wav",
                                (415, "not_audio")),
    # A header claiming 4 GB (~37 hours) followed by 0.2 s of samples: the claim is never
    # trusted, nothing is allocated for it, the samples are what count.
    "wav-claiming-4-gb": (wav_header(data_bytes=0xFFFF_FFF0) + b"\x10\x00" * 3_200, "take.wav",
                          "audio/wav", (422, "too_short")),
    "ten-minutes-small-enough": (ten_minute_wav_8bit(), "take.wav", "audio/wav",
                                 (422, "too_long")),
    "ten-minutes-too-big": (ten_minute_wav_16bit(), "take.wav", "audio/wav",
                            (413, "too_large")),
    # The part's declared type is not believed: the bytes are sniffed.
    "text-declared-as-audio": (b"not audio " * 500, "take.ogg", "audio/ogg",
                               (415, "not_audio")),
}  # fmt: skip
