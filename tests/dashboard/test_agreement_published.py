"""The refresh publishes the agreement between validators per language and for all languages
in summary.json, computed from the counted votes at refresh time."""

from __future__ import annotations

import psycopg

from app.validate.trust import recompute_verdicts
from tests.dashboard.conftest import published
from tests.dashboard.votes import arrange_units, new_contributor

A, R = "accept", "reject"
AGREEMENT_KEYS = {"alpha", "pairwise", "recordings", "votes", "pairs", "validators", "undefined"}


def summary_entry(files: dict, code: str) -> dict:
    return next(entry for entry in files["summary"]["languages"] if entry["code"] == code)


def test_the_refresh_publishes_each_languages_agreement_and_the_pooled_one(
    app, db: psycopg.Connection, refresh
) -> None:
    validators = [new_contributor(db) for _ in range(3)]
    # Hindi: Krippendorff's section A data (alpha = 2/21 = 0.0952, 6 of 10 pairs agree).
    first = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    second = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    verdict = {1: A, 0: R}
    arrange_units(
        db, "hi", [[verdict[a], verdict[b]] for a, b in zip(first, second, strict=True)],
        validators=validators[:2],
    )  # fmt: skip
    # English: three recordings that every validator accepted; one with a single vote, and
    # practice answers that disagree (left out).
    arrange_units(
        db, "en", [[A, A], [A, A, A], [A, (R, "practice", False)], [R]], validators=validators
    )
    # Tamil: one vote per recording, nothing to compare.
    arrange_units(db, "ta", [[A], [R]])

    refresh()
    files = published(app)

    hindi = summary_entry(files, "hi")["agreement"]
    assert hindi == {
        "alpha": 0.0952, "pairwise": 0.6, "recordings": 10, "votes": 20, "pairs": 10,
        "validators": 2, "undefined": None,
    }  # fmt: skip
    english = summary_entry(files, "en")["agreement"]
    assert english == {
        "alpha": None, "pairwise": 1.0, "recordings": 2, "votes": 5, "pairs": 4,
        "validators": 3, "undefined": "no_variation",
    }  # fmt: skip
    tamil = summary_entry(files, "ta")["agreement"]
    assert tamil["alpha"] is None and tamil["pairwise"] is None
    assert tamil["undefined"] == "no_pairs" and tamil["recordings"] == 0
    for entry in files["summary"]["languages"]:
        assert set(entry["agreement"]) == AGREEMENT_KEYS
    # All languages together: 12 recordings, 25 votes, n_a = 6 + 5, n_r = 14, o_ar = 4:
    # alpha = 1 - 24 * 4 / (11 * 14) = 29/77; pairs 14, of which 10 agree.
    pooled = files["summary"]["totals"]["agreement"]
    assert pooled == {
        "alpha": round(29 / 77, 4), "pairwise": round(10 / 14, 4), "recordings": 12,
        "votes": 25, "pairs": 14, "validators": 3, "undefined": None,
    }  # fmt: skip


def test_a_refresh_follows_votes_that_stop_counting(app, db: psycopg.Connection, refresh) -> None:
    validators = [new_contributor(db) for _ in range(3)]
    arrange_units(db, "hi", [[A, A, R], [R, R, A], [A, A, R]], validators=validators)
    refresh()
    assert summary_entry(published(app), "hi")["agreement"]["alpha"] < 0

    # The third validator is found out: their votes are kept but no longer count.
    with db.transaction():  # as a standing change does (app.validate.trust)
        votes = db.execute(
            "UPDATE validations SET counted = false WHERE validator_id = %s"
            " RETURNING contribution_id",
            (validators[2],),
        ).fetchall()
        recompute_verdicts(db, [v["contribution_id"] for v in votes], votes_to_decide=2)
    refresh()

    agreement = summary_entry(published(app), "hi")["agreement"]
    assert agreement["alpha"] == 1.0 and agreement["pairwise"] == 1.0
    assert (agreement["votes"], agreement["validators"]) == (6, 2)


def test_the_agreement_is_a_timed_step_of_the_refresh(db: psycopg.Connection, refresh) -> None:
    refresh()

    row = db.execute("SELECT steps FROM dashboard_refreshes").fetchone()
    names = [step["name"] for step in row["steps"]]
    assert names[-4:] == ["agreement", "read views", "publish", "prune servings"]
