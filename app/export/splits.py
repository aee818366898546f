"""Train / dev / test splits, Common Voice style: pure functions, no I/O.

The rule (after CorporaCreator, the tool that builds the Common Voice releases):

1. Only accepted recordings take part, at most `max_per_sentence` of them per sentence (the
   earliest recorded; the others stay in validated.tsv but in no split).
2. The training set is the "population". Its size T is the largest for which
   T + 2·n(T) fits in what is left after step 1, where n(T) is the sample size for a 99 %
   confidence level and a 1 % margin of error with the finite-population correction:
   n0 = z²·p(1−p)/e² (z = 2.5758, p = 0.5, e = 0.01, so n0 ≈ 16 587) and
   n(T) = ⌈n0 / (1 + (n0 − 1)/T)⌉. Dev and test each aim at n(T) recordings.
   Because n(T) ≤ T, dev and test can never each exceed a third of the recordings: a small
   corpus splits into thirds (until T ≈ 130), a large one gives dev and test ≈ 16.6k each.
   With fewer than 3 recordings everything goes to train.
3. Whole speakers are assigned, fewest recordings first (ties broken by the hashed speaker
   id, so the result does not depend on row order): a speaker goes to test if all their
   recordings still fit under the test target, else to dev if they fit there, else to train.
   No speaker is ever in two splits; dev and test may end up below their targets when the
   next speaker does not fit.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.99
MARGIN = 0.01
PROPORTION = 0.5
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True, slots=True)
class Candidate:
    """An accepted recording that may go into a split."""

    clip: str  # its path in the export, unique
    speaker: str  # the hashed speaker id
    sentence: int  # the sentence's id


@dataclass(frozen=True)
class SplitPlan:
    """Which split each kept recording went to, and the targets the sizes came from."""

    assignment: dict[str, str]  # clip -> "train" | "dev" | "test"
    eligible: int  # recordings left after the per-sentence limit
    dropped_duplicates: int  # accepted recordings over the per-sentence limit
    target_dev: int
    target_test: int

    def sizes(self) -> dict[str, int]:
        """Recordings per split, every split named."""
        counts = Counter(self.assignment.values())
        return {split: counts.get(split, 0) for split in SPLITS}


def base_sample_size(
    confidence: float = CONFIDENCE, margin: float = MARGIN, proportion: float = PROPORTION
) -> float:
    """n0 = z²·p(1−p)/e², the sample size for an infinite population (≈ 16 587.2 by default)."""
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    return z * z * proportion * (1 - proportion) / (margin * margin)


def sample_size(population: int, **rule: float) -> int:
    """Cochran's sample size with the finite-population correction, rounded up:
    ⌈n0 / (1 + (n0 − 1)/N)⌉; 0 for an empty population. Never more than `population`."""
    if population <= 0:
        return 0
    n0 = base_sample_size(**rule)
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def target_sizes(total: int, **rule: float) -> tuple[int, int, int]:
    """(train, dev, test) targets for `total` eligible recordings: the largest train size T
    with T + 2·sample_size(T) <= total; dev = test = sample_size(T); train takes the rest.
    Everything goes to train when no T >= 1 fits (fewer than 3 recordings)."""
    low, high, best = 1, total, 0
    while low <= high:  # T + 2·n(T) grows with T, so the largest fitting T is found by bisection
        middle = (low + high) // 2
        if middle + 2 * sample_size(middle, **rule) <= total:
            best, low = middle, middle + 1
        else:
            high = middle - 1
    if best == 0:
        return total, 0, 0
    held_out = sample_size(best, **rule)
    return total - 2 * held_out, held_out, held_out


def limit_per_sentence(
    candidates: Iterable[Candidate], max_per_sentence: int
) -> tuple[list[Candidate], int]:
    """Keep the first `max_per_sentence` candidates of every sentence, in the order given
    (callers give recording order, so the earliest recordings are kept); return the kept
    ones and how many were left out. Raises ValueError if max_per_sentence < 1."""
    if max_per_sentence < 1:
        raise ValueError("max_per_sentence must be at least 1")
    seen: Counter[int] = Counter()
    kept: list[Candidate] = []
    dropped = 0
    for candidate in candidates:
        if seen[candidate.sentence] < max_per_sentence:
            seen[candidate.sentence] += 1
            kept.append(candidate)
        else:
            dropped += 1
    return kept, dropped


def assign_speakers(
    candidates: Iterable[Candidate], *, dev_target: int, test_target: int
) -> dict[str, str]:
    """Assign whole speakers, fewest recordings first (ties by speaker id), to test while they
    fit under `test_target`, else to dev while they fit under `dev_target`, else to train.
    Returns clip -> split."""
    clips_of: dict[str, list[str]] = {}
    for candidate in candidates:
        clips_of.setdefault(candidate.speaker, []).append(candidate.clip)
    assignment: dict[str, str] = {}
    filled = {"dev": 0, "test": 0}
    for speaker in sorted(clips_of, key=lambda s: (len(clips_of[s]), s)):
        clips = clips_of[speaker]
        if filled["test"] + len(clips) <= test_target:
            split = "test"
        elif filled["dev"] + len(clips) <= dev_target:
            split = "dev"
        else:
            split = "train"
        if split != "train":
            filled[split] += len(clips)
        for clip in clips:
            assignment[clip] = split
    return assignment


def plan_splits(candidates: Iterable[Candidate], *, max_per_sentence: int = 1) -> SplitPlan:
    """The whole rule (see the module docstring) over accepted recordings given in recording
    order. Raises ValueError if max_per_sentence < 1."""
    kept, dropped = limit_per_sentence(candidates, max_per_sentence)
    _, dev_target, test_target = target_sizes(len(kept))
    assignment = assign_speakers(kept, dev_target=dev_target, test_target=test_target)
    return SplitPlan(
        assignment=assignment,
        eligible=len(kept),
        dropped_duplicates=dropped,
        target_dev=dev_target,
        target_test=test_target,
    )
