"""What the speech check costs per upload: the CPU of the voice-activity detector, next to the
whole audio check (`analyse_recording`: decode, measure, detect) on the same clip.

    .venv/bin/python -m ops.bench_vad [--repeat 15]

Runs on the sample clips of the checkout (tests/data/audio, as uploaded: wav, webm/opus,
ogg/opus) and on a 14.5 s take (the longest a volunteer may send). CPU time is this process's
(`time.process_time`, one thread), the median of `--repeat` runs after one warm-up, so a busy
machine slows the wall clock more than these numbers. Prints a Markdown table for
docs/benchmarks.md, with the machine's load average.
"""

from __future__ import annotations

import functools
import io
import os
import statistics
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path

import click

from app.audio import analyse_recording
from app.audio.analysis import _DEMUXERS, sniff_mime_type
from app.audio.decode import DecodedAudio, decode_audio
from app.audio.vad import speech_frames

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "audio"
CLIPS = ("en_3.wav", "hi_1.wav", "upstream_test.wav", "hi_2.wav", "hi_1.webm", "en_1.ogg")
LONGEST_SECONDS = 14.5


def cpu_ms(work: Callable[[], object], repeat: int) -> float:
    """Median CPU milliseconds of `work()` over `repeat` runs, after one unmeasured run."""
    work()
    times = []
    for _ in range(repeat):
        started = time.process_time()
        work()
        times.append(1000 * (time.process_time() - started))
    return statistics.median(times)


def longest_take() -> bytes:
    """The Hindi sample clips read one after the other, cut to LONGEST_SECONDS, as a wav."""
    frames, rate = b"", 16_000
    for name in ("hi_1.wav", "hi_2.wav", "hi_3.wav", "hi_4.wav", "hi_1.wav"):
        with wave.open(str(SAMPLES / name)) as source:
            rate = source.getframerate()
            frames += source.readframes(source.getnframes())
    out = io.BytesIO()
    with wave.open(out, "wb") as take:
        take.setnchannels(1)
        take.setsampwidth(2)
        take.setframerate(rate)
        take.writeframes(frames[: int(LONGEST_SECONDS * rate) * 2])
    return out.getvalue()


def first_load_ms() -> float:
    """Wall milliseconds of the first detection in this process (the model is loaded then)."""
    started = time.perf_counter()
    speech_frames(decode(longest_take()).mono[:16_000])
    return 1000 * (time.perf_counter() - started)


def decode(data: bytes) -> DecodedAudio:
    """`data` decoded as the audio check decodes it (16 kHz mono)."""
    return decode_audio(data, demuxers=_DEMUXERS, accept=sniff_mime_type, max_seconds=16)


def rss_mb() -> float:
    """This process's resident memory in MB (Linux)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@click.command()
@click.option("--repeat", default=15, show_default=True, help="Measured runs per clip.")
def main(repeat: int) -> None:
    """Print the cost of the speech check per clip as a Markdown table."""
    before_load, before_rss = os.getloadavg(), rss_mb()
    load_ms = first_load_ms()
    print(f"first detection (loads the model): {load_ms:.0f} ms wall, "
          f"+{rss_mb() - before_rss:.0f} MB resident")  # fmt: skip
    print()
    print("| clip | length | whole audio check, CPU ms | of which speech detection | "
          "detection per second of audio |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: |")
    clips = [(name, (SAMPLES / name).read_bytes()) for name in CLIPS]
    clips.append((f"{LONGEST_SECONDS} s take (wav)", longest_take()))
    for name, data in clips:
        mono = decode(data).mono
        seconds = mono.size / 16_000
        whole = cpu_ms(functools.partial(analyse_recording, data), repeat)
        vad = cpu_ms(functools.partial(speech_frames, mono), repeat)
        print(f"| {name} | {seconds:.1f} s | {whole:.1f} | {vad:.1f} | {vad / seconds:.1f} |")
    after_load = os.getloadavg()
    print()
    print(f"load average (1/5/15 min) before: {before_load[0]:.2f} {before_load[1]:.2f} "
          f"{before_load[2]:.2f}, after: {after_load[0]:.2f} {after_load[1]:.2f} "
          f"{after_load[2]:.2f}; {os.cpu_count()} CPUs")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
