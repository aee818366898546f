"""The takes the simulated speakers upload: ~50 KB WAV clips of real speech.

Each 16-bit mono WAV of the sample folder (the checkout's tests/data/audio, or
LOADTEST_AUDIO_DIR) is cut to its loudest ~1.6 s window, the size of a short take in the
browser. A window of speech clears every upload check (longer than RECORDING_MIN_SECONDS = 1 s,
shorter than the 15 s maximum, not silent, not clipped), so a refusal during a load test is a
real failure. With no sample folder, espeak-ng speaks a sentence instead.

`python -m loadtests.clips OUT_DIR` writes the clips, to look at or listen to.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
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


def synthesized_clip(size: int = CLIP_BYTES) -> bytes:
    """Speech without a sample folder: espeak-ng (Debian's espeak-ng) reading a sentence, cut
    like the samples. Made-up "speech-like" sound would not do: the server's voice-activity
    detector refuses it. Raises RuntimeError when espeak-ng is missing."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("no sample speech: set LOADTEST_AUDIO_DIR or install espeak-ng")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "take.wav"
        text = "A journey of a thousand miles begins with one step."
        subprocess.run(["espeak-ng", "-v", "en", "-w", str(path), text], check=True, timeout=60)
        clip = loudest_window(path.read_bytes(), size)
    if clip is None:
        raise RuntimeError("espeak-ng made a recording shorter than a take")
    return clip


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
