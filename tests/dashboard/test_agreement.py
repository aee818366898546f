"""Agreement between validators (app/stats/agreement.py): Krippendorff's worked examples, the
binary adaptation computed by hand, the degenerate cases, and the database's one-pass sums
against a brute force on random votes."""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import permutations

import psycopg
import pytest

from app.stats.agreement import (
    ALL_LANGUAGES,
    NO_VOTES,
    agreement_by_language,
    language_agreement,
    nominal_alpha,
)
from tests.dashboard.votes import (
    arrange_units,
    brute_force_alpha,
    brute_force_pairwise,
    counted_units,
    new_contributor,
)

A, R = "accept", "reject"
N = None

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
# twelve units, values 1-5, missing data (columns are units). Nominal alpha = 0.743.
KRIPPENDORFF_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
# Section A: two observers, ten units, binary. alpha = 0.095.
KRIPPENDORFF_A = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]


def units_of(matrix: list[list[int | None]]) -> list[list[int]]:
    """The values of each unit (column), missing ones left out."""
    return [[v for v in column if v is not None] for column in zip(*matrix, strict=True)]


def coincidences(units: list[list[int]]) -> dict[tuple[int, int], Fraction]:
    """o_ck: ordered pairs of values from different coders within a unit, weighted 1/(m-1)."""
    matrix: dict[tuple[int, int], Fraction] = {}
    for unit in units:
        if len(unit) < 2:
            continue
        for c, k in permutations(unit, 2):
            matrix[(c, k)] = matrix.get((c, k), Fraction(0)) + Fraction(1, len(unit) - 1)
    return matrix


def as_votes(matrix: list[list[int | None]], accept: set[int]) -> list[list[str | None]]:
    """Units of votes (one position per observer) with the values in `accept` as accept."""
    return [
        [None if v is None else (A if v in accept else R) for v in column]
        for column in zip(*matrix, strict=True)
    ]


def test_the_formula_gives_krippendorffs_worked_examples() -> None:
    section_c = units_of(KRIPPENDORFF_C)
    section_a = units_of(KRIPPENDORFF_A)

    assert round(nominal_alpha(coincidences(section_c)), 3) == 0.743  # type: ignore[arg-type]
    assert round(nominal_alpha(coincidences(section_a)), 3) == 0.095  # type: ignore[arg-type]
    # and the brute force, exactly
    assert brute_force_alpha(section_a) == Fraction(2, 21)
    assert round(float(brute_force_alpha(section_c) or 0), 3) == 0.743


def test_section_a_from_the_database_gives_0_095(db: psycopg.Connection) -> None:
    arrange_units(db, "hi", as_votes(KRIPPENDORFF_A, accept={1}))

    got = language_agreement(db, "hi")

    # By hand: o_ar = 4 (units 1, 3, 6, 9), n_a = 6, n_r = 14, n = 20:
    # alpha = 1 - 19 * 4 / (6 * 14) = 2/21; pairs agree in 6 of 10 units.
    assert got.alpha == pytest.approx(2 / 21, abs=1e-12)
    assert got.pairwise == pytest.approx(0.6)
    assert (got.recordings, got.votes, got.pairs, got.validators) == (10, 20, 10, 2)
    assert got.undefined is None


def test_section_c_read_as_accept_or_reject_matches_the_hand_computation(
    db: psycopg.Connection,
) -> None:
    # Values 3, 4 and 5 read as accept, 1 and 2 as reject. Unit 12 has a single value and is
    # left out. By hand: n = 40, n_a = 18, n_r = 22; disagreement only in unit 2 (r r a r:
    # 1*3/3 = 1) and unit 6 (r r a a: 2*2/3 = 4/3), so o_ar = 7/3 and
    # alpha = 1 - 39 * (7/3) / (18 * 22) = 305/396. Pairs: 55, of which 7 disagree.
    arrange_units(db, "ta", as_votes(KRIPPENDORFF_C, accept={3, 4, 5}))

    got = language_agreement(db, "ta")

    assert got.alpha == pytest.approx(305 / 396, abs=1e-12)
    assert got.pairwise == pytest.approx(48 / 55, abs=1e-12)
    assert (got.recordings, got.votes, got.pairs, got.validators) == (11, 40, 55, 4)
    assert brute_force_alpha(counted_units(db, "ta")) == Fraction(305, 396)


def test_no_recording_with_two_counted_votes_gives_no_figures(db: psycopg.Connection) -> None:
    arrange_units(db, "hi", [[A], [R], [(A, "practice", False), R], [(R, "vote", False), A]])

    assert language_agreement(db, "hi") == NO_VOTES
    assert NO_VOTES.alpha is None and NO_VOTES.pairwise is None
    assert NO_VOTES.undefined == "no_pairs"
    assert agreement_by_language(db) == {ALL_LANGUAGES: NO_VOTES}


def test_votes_that_all_agree_on_one_value_leave_alpha_undefined(db: psycopg.Connection) -> None:
    arrange_units(db, "hi", [[A, A], [A, A, A], [A, A, N, A]])

    got = language_agreement(db, "hi")

    assert got.alpha is None and got.undefined == "no_variation"
    assert got.pairwise == 1.0
    assert (got.recordings, got.votes, got.pairs, got.validators) == (3, 8, 1 + 3 + 3, 4)
    assert got.as_json()["alpha"] is None and got.as_json()["undefined"] == "no_variation"


def test_perfect_agreement_with_both_verdicts_is_one_and_systematic_disagreement_negative(
    db: psycopg.Connection,
) -> None:
    arrange_units(db, "hi", [[A, A], [R, R], [A, A, A]])
    arrange_units(db, "en", [[A, R], [R, A], [A, R]])

    assert language_agreement(db, "hi").alpha == 1.0
    # Every pair disagrees: alpha = 1 - (6 - 1) * 3 / (3 * 3) = -2/3.
    assert language_agreement(db, "en").alpha == pytest.approx(-2 / 3)
    assert language_agreement(db, "en").pairwise == 0.0


def test_only_counted_ordinary_votes_on_kept_recordings_count(db: psycopg.Connection) -> None:
    validators = [new_contributor(db) for _ in range(3)]
    arrange_units(db, "hi", [[A, A], [R, R]], validators=validators)
    # Practice answers, checks, a distrusted validator's votes and votes on removed
    # recordings would all make it disagree.
    arrange_units(
        db,
        "hi",
        [[A, (R, "practice", False)], [A, (R, "check", False)], [A, A, (R, "vote", False)]],
        validators=validators,
    )
    arrange_units(db, "hi", [[A, R]], validators=validators, status="removed")

    got = language_agreement(db, "hi")

    assert got.alpha == 1.0 and got.pairwise == 1.0
    assert (got.recordings, got.votes, got.validators) == (3, 6, 2)


def test_the_one_pass_matches_a_brute_force_on_random_votes(db: psycopg.Connection) -> None:
    rng = random.Random(15)
    languages = {"hi": 0.8, "ta": 0.55, "ur": 0.95}  # how often a validator gives the truth
    for language, accuracy in languages.items():
        validators = [new_contributor(db) for _ in range(9)]
        units = []
        for _ in range(rng.randint(40, 70)):
            truth = A if rng.random() < 0.7 else R
            voters = rng.sample(range(9), rng.choice([1, 2, 2, 2, 3, 3, 4, 6]))
            unit: list[str | tuple[str, str, bool] | None] = [None] * 9
            for j in voters:
                verdict = truth if rng.random() < accuracy else ({A, R} - {truth}).pop()
                kind = rng.random()
                unit[j] = (
                    (verdict, "practice", False) if kind < 0.05
                    else (verdict, "vote", False) if kind < 0.1
                    else verdict
                )  # fmt: skip
            units.append(unit)
        status = rng.choice(["pending", "removed"])
        arrange_units(db, language, units, validators=validators)
        arrange_units(db, language, units[:5], validators=validators, status=status)

    got = agreement_by_language(db)

    assert set(got) == {*languages, ALL_LANGUAGES}
    for key in got:
        units = counted_units(db, None if key == ALL_LANGUAGES else key)
        pairable = [unit for unit in units if len(unit) >= 2]
        assert got[key].alpha == pytest.approx(float(brute_force_alpha(units)), abs=1e-12)  # type: ignore[arg-type]
        assert got[key].pairwise == pytest.approx(float(brute_force_pairwise(units)), abs=1e-12)  # type: ignore[arg-type]
        assert got[key].recordings == len(pairable)
        assert got[key].votes == sum(len(unit) for unit in pairable)
    # The pooled figure counts each validator once.
    assert got[ALL_LANGUAGES].validators == sum(got[code].validators for code in languages)
