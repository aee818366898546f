"""The takes the simulated speakers upload: ~50 KB WAV clips of real speech.

Each 16-bit mono WAV of the sample folder (the checkout's tests/data/audio, or
LOADTEST_AUDIO_DIR) is cut to its loudest ~1.6 s window, the size of a short take in the
browser. A window of speech clears every upload check (longer than RECORDING_MIN_SECONDS = 1 s,
shorter than the 15 s maximum, not silent, not clipped), so a refusal during a load test is a
real failure. With no sample folder, speech-like audio is synthesized instead.

`python -m loadtests.clips OUT_DIR` writes the clips, to look at or listen to.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import wave
from array import array
from pathlib import Path

CLIP_BYTES = 50 * 1024
WAV_HEADER_BYTES = 44
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "audio"


def audio_dir() -> Path:
    """Where sample speech comes from: LOADTEST_AUDIO_DIR, else the checkout's test data."""
    return Path(os.environ.get("LOADTEST_AUDIO_DIR") or SAMPLE_DIR)


def load_clips(folder: Path | None = None, size: int = CLIP_BYTES) -> list[bytes]:
    """One ~`size`-byte WAV per usable sample in `folder` (sorted by name); synthesized
    speech-like takes when the folder has none."""
    folder = audio_dir() if folder is None else folder
    clips = []
    for path in sorted(folder.glob("*.wav")) if folder.is_dir() else []:
        clip = loudest_window(path.read_bytes(), size)
        if clip is not None:
            clips.append(clip)
    return clips or [synthesized_clip(size)]


def loudest_window(data: bytes, size: int = CLIP_BYTES) -> bytes | None:
    """The loudest stretch of a 16-bit mono WAV as a WAV of about `size` bytes; None for
    another sample format or a recording shorter than the window."""
    with wave.open(io.BytesIO(data)) as source:
        if source.getsampwidth() != 2 or source.getnchannels() != 1:
            return None
        rate = source.getframerate()
        samples = array("h", source.readframes(source.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    length = (size - WAV_HEADER_BYTES) // 2
    if len(samples) < length:
        return None
    start = _loudest_start(samples, length, step=rate // 50)
    return wav_bytes(samples[start : start + length], rate)


def _loudest_start(samples: array, length: int, step: int) -> int:
    """Where the window of `length` samples with the most energy begins, in steps of `step`."""
    energy = [0.0]  # energy[i]: sum of squares of the first i steps
    for offset in range(0, len(samples), step):
        energy.append(energy[-1] + sum(s * s for s in samples[offset : offset + step]))
    width = length // step
    best = max(range(len(energy) - width), key=lambda i: energy[i + width] - energy[i])
    return min(best * step, len(samples) - length)


def synthesized_clip(size: int = CLIP_BYTES, rate: int = 16_000) -> bytes:
    """Speech-like audio without a sample folder: voiced 'syllables' (a 140 Hz source with
    falling harmonics) at ~4 per second, with short pauses, at a moderate level."""
    import math

    count = (size - WAV_HEADER_BYTES) // 2
    samples = array("h", bytes(count * 2))
    for i in range(count):
        t = i / rate
        syllable = max(0.0, math.sin(2 * math.pi * 4 * t)) ** 0.6
        voice = sum(math.sin(2 * math.pi * 140 * k * t) / k for k in range(1, 8))
        samples[i] = int(6000 * syllable * voice)
    return wav_bytes(samples, rate)


def wav_bytes(samples: array, rate: int) -> bytes:
    """A 16-bit mono WAV of `samples`."""
    pcm = array("h", samples)
    if sys.byteorder == "big":
        pcm.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(rate)
        target.writeframes(pcm.tobytes())
    return out.getvalue()


def main(argv: list[str]) -> int:
    """Write the clips to the folder given (default: a new temporary one) and list them."""
    out = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="loadtest-clips-"))
    out.mkdir(parents=True, exist_ok=True)
    for n, clip in enumerate(load_clips(), start=1):
        path = out / f"take_{n}.wav"
        path.write_bytes(clip)
        print(f"{path} {len(clip)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
