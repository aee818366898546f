"""WADA-SNR: the published table, and estimates on real clips."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.audio import analyse_recording, wada_snr
from app.audio.snr import g_for_snr, wada_g
from tests.audio.sounds import read_wav, wav_bytes


@pytest.mark.parametrize("snr_db", [0, 10, 20])
def test_the_table_matches_a_simulation_of_the_model(snr_db: int) -> None:
    # Kim & Stern's model: gamma(0.4) speech amplitudes with random signs, Gaussian noise.
    rng = np.random.default_rng(2008)
    speech = rng.gamma(0.4, 1.0, 400_000) * rng.choice([-1.0, 1.0], 400_000)
    noise = rng.standard_normal(speech.size)
    noise *= math.sqrt(np.mean(speech**2) / np.mean(noise**2) / 10 ** (snr_db / 10))

    assert wada_g(speech + noise) == pytest.approx(g_for_snr(snr_db), abs=0.01)


@pytest.mark.parametrize("name", ["upstream_test.wav", "hi_2.wav", "en_2.wav"])
def test_clean_speech_scores_well_above_the_same_speech_in_noise(name: str) -> None:
    speech, rate = read_wav(name)
    noise = np.random.default_rng(1).standard_normal(speech.size).astype(np.float32)
    noisy = 0.5 * (speech + noise * np.sqrt(np.mean(speech**2)))  # 0 dB SNR, room to spare

    clean_report = analyse_recording(wav_bytes(speech, rate))
    noisy_report = analyse_recording(wav_bytes(noisy, rate))

    assert clean_report.snr_db is not None and noisy_report.snr_db is not None
    assert clean_report.snr_db > 15
    assert noisy_report.snr_db == pytest.approx(0, abs=3)
    assert clean_report.snr_db - noisy_report.snr_db > 15


def test_pure_noise_scores_near_the_bottom_of_the_table() -> None:
    # The curve is almost flat below -8 dB, so noise cannot be placed more precisely.
    noise = np.random.default_rng(5).standard_normal(16000)

    snr_db = wada_snr(noise)

    assert snr_db is not None and -20 <= snr_db < -5


@pytest.mark.parametrize(
    "samples",
    [np.zeros(0), np.zeros(1000), np.array([0.1, np.nan, 0.2])],
    ids=["empty", "digital-silence", "nan"],
)
def test_snr_is_none_when_it_cannot_be_computed(samples: np.ndarray) -> None:
    assert wada_snr(samples) is None
