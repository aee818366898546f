"""The speech check on a labelled corpus (tests/audio/corpus.py): noise, tones, chirps, music,
hum, clicks and silence are refused, and speech in thirteen languages at 8 to 48 kHz, quiet or
over mild noise, is accepted, each at least 99 % of the time. The rates are printed (run with
-s to see them) and recorded in docs/benchmarks.md."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.audio import RecordingRefused, analyse_recording
from tests.audio.corpus import Sample, build_corpus, describe, espeak_missing

REQUIRED_RATE = 0.99
MIN_SAMPLES = 200  # of each kind, so that 99 % allows two mistakes, not zero


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    if (reason := espeak_missing()) is not None:
        pytest.skip(reason)
    return build_corpus(tmp_path_factory.mktemp("vad-corpus"))


def verdict(sample: Sample) -> str:
    """ "accepted", or the code of the refusal."""
    try:
        analyse_recording(sample.data)
    except RecordingRefused as refused:
        return refused.code
    return "accepted"


def verdicts(samples: list[Sample]) -> dict[str, str]:
    """Each sample's name → its verdict. Judged on four threads, as gunicorn's threads do:
    the detectors are shared, so this also shows that they keep recordings apart."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip([s.name for s in samples], pool.map(verdict, samples), strict=True))


def test_speech_is_accepted_and_everything_else_refused(corpus: list[Sample]) -> None:
    speech = [s for s in corpus if s.speech]
    other = [s for s in corpus if not s.speech]
    assert len(speech) >= MIN_SAMPLES and len(other) >= MIN_SAMPLES

    judged = verdicts(corpus)

    speech_refused = {s.name: judged[s.name] for s in speech if judged[s.name] != "accepted"}
    other_accepted = [s.name for s in other if judged[s.name] == "accepted"]
    accepted_rate = 1 - len(speech_refused) / len(speech)
    refused_rate = 1 - len(other_accepted) / len(other)
    print(f"\nspeech accepted: {accepted_rate:.1%} of {len(speech)}: {describe(speech)}")
    print(f"non-speech refused: {refused_rate:.1%} of {len(other)}: {describe(other)}")
    print(f"speech refused: {speech_refused}\nnon-speech accepted: {other_accepted}")
    print(f"non-speech refused as: {dict(Counter(judged[s.name] for s in other))}")
    assert accepted_rate >= REQUIRED_RATE, speech_refused
    assert refused_rate >= REQUIRED_RATE, other_accepted
