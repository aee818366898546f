"""The split rule and the speaker ids, as pure functions."""

from __future__ import annotations

import math
import random
import uuid

import pytest

from app.export.privacy import SpeakerIds, demographics_allowed
from app.export.splits import (
    Candidate,
    assign_speakers,
    base_sample_size,
    limit_per_sentence,
    plan_splits,
    sample_size,
    target_sizes,
)


def test_the_base_sample_size_is_the_99_percent_1_percent_margin_one() -> None:
    assert base_sample_size() == pytest.approx(2.5758293035489**2 * 0.25 / 0.01**2)
    assert round(base_sample_size()) == 16587


@pytest.mark.parametrize(
    ("population", "expected"),
    [(0, 0), (1, 1), (2, 2), (100, 100), (1_000, 944), (100_000, 14_228), (10**9, 16_587)],
)
def test_sample_size_applies_the_finite_population_correction(
    population: int, expected: int
) -> None:
    n0 = base_sample_size()
    assert sample_size(population) == expected
    if population:
        assert expected == min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (0, (0, 0, 0)),
        (2, (2, 0, 0)),  # too few to hold anything out
        (3, (1, 1, 1)),
        (10, (4, 3, 3)),
        (100, (34, 33, 33)),  # small corpora split into thirds
        (1_000, (338, 331, 331)),
        (100_000, (72_968, 13_516, 13_516)),
    ],
)
def test_targets_for_small_and_large_corpora(total: int, expected: tuple[int, int, int]) -> None:
    assert target_sizes(total) == expected


@pytest.mark.parametrize("total", [3, 57, 389, 10_000, 100_000, 2_000_000])
def test_the_training_set_is_the_largest_population_whose_samples_still_fit(total: int) -> None:
    train, dev, test = target_sizes(total)
    assert train + dev + test == total and dev == test
    population = train  # the largest T with T + 2·n(T) <= total; what is left over goes to train
    while population + 2 * sample_size(population) > total:
        population -= 1
    assert dev == sample_size(population) and train - population <= 2
    assert (population + 1) + 2 * sample_size(population + 1) > total


def test_dev_and_test_never_take_more_than_a_third_each() -> None:
    for total in range(0, 3000):
        train, dev, test = target_sizes(total)
        assert 3 * dev <= total and dev == test and train >= dev


def test_at_most_n_recordings_per_sentence_are_kept_the_earliest_first() -> None:
    rows = [
        Candidate(f"c{i}", f"s{i % 3}", sentence) for i, sentence in enumerate([1, 2, 1, 1, 2, 3])
    ]
    kept, dropped = limit_per_sentence(rows, 1)
    assert [c.clip for c in kept] == ["c0", "c1", "c5"] and dropped == 3
    kept, dropped = limit_per_sentence(rows, 2)
    assert [c.clip for c in kept] == ["c0", "c1", "c2", "c4", "c5"] and dropped == 1
    with pytest.raises(ValueError):
        limit_per_sentence(rows, 0)


def test_whole_speakers_go_to_test_then_dev_fewest_recordings_first() -> None:
    clips = {"big": 6, "one-a": 1, "one-b": 1, "two": 2, "three": 3, "four": 4}
    rows = [
        Candidate(f"{s}/{i}", s, k * 10 + i)
        for k, (s, n) in enumerate(clips.items())
        for i in range(n)
    ]
    random.Random(7).shuffle(rows)
    assignment = assign_speakers(rows, dev_target=5, test_target=4)
    by_speaker = {s: {assignment[f"{s}/{i}"] for i in range(n)} for s, n in clips.items()}
    assert all(len(splits) == 1 for splits in by_speaker.values())  # never split
    # one-a, one-b, two fill test (4); three does not fit there, so dev (3); four fits
    # neither (3 + 4 > 5): train, and so does big.
    assert by_speaker == {
        "one-a": {"test"},
        "one-b": {"test"},
        "two": {"test"},
        "three": {"dev"},
        "four": {"train"},
        "big": {"train"},
    }


def test_a_random_corpus_gets_speaker_disjoint_splits_within_their_targets() -> None:
    rng = random.Random(3)
    rows = []
    for speaker in range(400):
        for _ in range(max(1, int(rng.paretovariate(1.2)))):
            rows.append(Candidate(f"clip{len(rows)}", f"speaker{speaker}", rng.randrange(900)))
    plan = plan_splits(rows, max_per_sentence=2)
    kept, dropped = limit_per_sentence(rows, 2)
    assert plan.eligible == len(kept) == len(plan.assignment) and plan.dropped_duplicates == dropped
    speakers = {c.clip: c.speaker for c in rows}
    owners = {
        split: {speakers[c] for c, s in plan.assignment.items() if s == split}
        for split in ("train", "dev", "test")
    }
    assert not owners["train"] & owners["dev"] and not owners["train"] & owners["test"]
    assert not owners["dev"] & owners["test"]
    sizes = plan.sizes()
    assert sizes["test"] <= plan.target_test and sizes["dev"] <= plan.target_dev
    assert (plan.target_dev, plan.target_test) == target_sizes(plan.eligible)[1:]
    assert sum(sizes.values()) == plan.eligible


def test_the_split_does_not_depend_on_the_order_of_speakers() -> None:
    rows = [
        Candidate(f"{s}-{i}", f"spk{s}", s * 10 + i) for s in range(30) for i in range(s % 4 + 1)
    ]
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    assert plan_splits(rows).assignment == plan_splits(shuffled).assignment


def test_speaker_ids_are_salted_hashes_not_the_contributor_id() -> None:
    contributor = uuid.uuid4()
    ids = SpeakerIds(b"one salt, sixteen+")
    published = ids(contributor)
    assert len(published) == 40 and int(published, 16) >= 0
    assert contributor.hex not in published and str(contributor) not in published
    assert ids(contributor.hex) == ids(str(contributor).upper()) == published
    assert SpeakerIds(b"another salt, 16+")(contributor) != published
    with pytest.raises(ValueError):
        SpeakerIds(b"")


def test_demographics_need_five_speakers() -> None:
    assert not demographics_allowed(4) and demographics_allowed(5)
