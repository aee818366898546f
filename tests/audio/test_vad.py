"""The voice-activity detector on its own: windows, runs, and many threads at once."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from app.audio import vad
from app.audio.vad import SpeechFrames, speech_frames, speech_probabilities
from tests.audio.sounds import noise_samples, read_wav, resample


def speech16k(name: str) -> np.ndarray:
    samples, rate = read_wav(name)
    return resample(samples, rate, 16000)


def test_the_longest_run_counts_consecutive_speech_windows() -> None:
    frames = SpeechFrames(window_ms=32.0, speech=np.array([1, 1, 0, 1, 1, 1, 0, 1], dtype=bool))

    assert frames.longest_run_ms == 96.0
    assert frames.share == 6 / 8


def test_no_windows_is_no_speech() -> None:
    frames = speech_frames(np.zeros(300, dtype=np.float32))  # under one 32 ms window

    assert frames.speech.size == 0
    assert (frames.share, frames.longest_run_ms) == (0.0, 0.0)


def test_speech_scores_high_and_noise_low() -> None:
    speech = speech_frames(speech16k("upstream_test.wav"))
    noise = speech_frames(noise_samples(3.0, 16000, dbfs=-20.0))

    assert speech.window_ms == 32.0
    assert speech.share > 0.5 and speech.longest_run_ms > 500
    assert noise.share < 0.05


def test_threads_sharing_the_detectors_get_what_one_thread_gets() -> None:
    # Each detector carries state from window to window: recordings scored at the same time
    # on several threads must not leak into each other, and a detector reused for the next
    # recording must start afresh.
    clips = [speech16k(name) for name in ("hi_1.wav", "en_2.wav", "upstream_test.wav")]
    clips.append(noise_samples(2.0, 16000, dbfs=-25.0))
    alone = [speech_probabilities(clip) for clip in clips]

    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(speech_probabilities, clips * 6))

    for n, scores in enumerate(together):
        np.testing.assert_array_equal(scores, alone[n % len(clips)])


def test_a_forked_worker_makes_its_own_detectors() -> None:
    # gunicorn forks its workers from the master: a worker must not reuse the master's
    # detectors (the master's runtime state), and must still detect the same way.
    clip = speech16k("hi_2.wav")
    in_parent = speech_probabilities(clip)  # the parent now has a detector in its pool

    with multiprocessing.get_context("fork").Pool(1) as pool:
        in_child = pool.apply(speech_probabilities, (clip,))

    np.testing.assert_array_equal(in_child, in_parent)


def test_a_process_keeps_at_most_max_detectors() -> None:
    clip = speech16k("en_1.wav")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(speech_probabilities, [clip] * 16))

    assert 1 <= len(vad._pool.idle) <= vad.MAX_DETECTORS
