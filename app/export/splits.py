"""Train / dev / test splits, Common Voice style: pure functions, no I/O.

The rule (after CorporaCreator, the tool that builds the Common Voice releases), over
accepted contributions, each with a *group* that must never straddle two splits (a speaker
for speak; a clip, or the speaker of the recording it was cut from, for transcribe; a source
sentence for translate; an image for label) and an *item* it was made for:

1. Only accepted contributions take part, at most `max_per_item` of them per item (the
   earliest; the others stay in the status file but in no split).
2. The training set is the "population". Its size T is the largest for which
   T + 2·n(T) fits in what is left after step 1, where n(T) is the sample size for a 99 %
   confidence level and a 1 % margin of error with the finite-population correction:
   n0 = z²·p(1−p)/e² (z = 2.5758, p = 0.5, e = 0.01, so n0 ≈ 16 587) and
   n(T) = ⌈n0 / (1 + (n0 − 1)/T)⌉. Dev and test each aim at n(T) contributions.
   Because n(T) ≤ T, dev and test can never each exceed a third of the contributions: a
   small corpus splits into thirds (until T ≈ 130), a large one gives dev and test ≈ 16.6k
   each. With fewer than 3 contributions everything goes to train.
3. Whole groups are assigned, smallest first (ties broken by the group key, so the result
   does not depend on row order): a group goes to test if all its contributions still fit
   under the test target, else to dev if they fit there, else to train. No group is ever in
   two splits; dev and test may end up below their targets when the next group does not fit.
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
    """An accepted contribution that may go into a split."""

    clip: str  # its key in the export (its path, or its own id when it has no file), unique
    group: str  # what must stay on one side: for speak, the hashed speaker id
    item: int  # the id of the item it was made for (speak: the sentence)

    @property
    def speaker(self) -> str:
        """Speak's name for the group."""
        return self.group


@dataclass(frozen=True)
class SplitPlan:
    """Which split each kept contribution went to, and the targets the sizes came from."""

    assignment: dict[str, str]  # clip -> "train" | "dev" | "test"
    eligible: int  # contributions left after the per-item limit
    dropped_duplicates: int  # accepted contributions over the per-item limit
    target_dev: int
    target_test: int

    def sizes(self) -> dict[str, int]:
        """Contributions per split, every split named."""
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
    """(train, dev, test) targets for `total` eligible contributions: the largest train size
    T with T + 2·sample_size(T) <= total; dev = test = sample_size(T); train takes the rest.
    Everything goes to train when no T >= 1 fits (fewer than 3 contributions)."""
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


def limit_per_item(
    candidates: Iterable[Candidate], max_per_item: int
) -> tuple[list[Candidate], int]:
    """Keep the first `max_per_item` candidates of every item, in the order given (callers
    give contribution order, so the earliest are kept); return the kept ones and how many
    were left out. Raises ValueError if max_per_item < 1."""
    if max_per_item < 1:
        raise ValueError("max_per_item must be at least 1")
    seen: Counter[int] = Counter()
    kept: list[Candidate] = []
    dropped = 0
    for candidate in candidates:
        if seen[candidate.item] < max_per_item:
            seen[candidate.item] += 1
            kept.append(candidate)
        else:
            dropped += 1
    return kept, dropped


def assign_groups(
    candidates: Iterable[Candidate], *, dev_target: int, test_target: int
) -> dict[str, str]:
    """Assign whole groups, smallest first (ties by group key), to test while they fit under
    `test_target`, else to dev while they fit under `dev_target`, else to train.
    Returns clip -> split."""
    clips_of: dict[str, list[str]] = {}
    for candidate in candidates:
        clips_of.setdefault(candidate.group, []).append(candidate.clip)
    assignment: dict[str, str] = {}
    filled = {"dev": 0, "test": 0}
    for group in sorted(clips_of, key=lambda g: (len(clips_of[g]), g)):
        clips = clips_of[group]
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


# Speak's names: its groups are speakers and its items sentences.
limit_per_sentence = limit_per_item
assign_speakers = assign_groups


def plan_splits(candidates: Iterable[Candidate], *, max_per_sentence: int = 1) -> SplitPlan:
    """The whole rule (see the module docstring) over accepted contributions given in the
    order they were made; `max_per_sentence` is the most per item (speak's name for it).
    Raises ValueError if max_per_sentence < 1."""
    kept, dropped = limit_per_item(candidates, max_per_sentence)
    _, dev_target, test_target = target_sizes(len(kept))
    assignment = assign_groups(kept, dev_target=dev_target, test_target=test_target)
    return SplitPlan(
        assignment=assignment,
        eligible=len(kept),
        dropped_duplicates=dropped,
        target_dev=dev_target,
        target_test=test_target,
    )
