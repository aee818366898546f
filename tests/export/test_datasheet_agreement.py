"""The export's datasheet (README.md) states how far the language's validators agree, computed
at export time from the counted votes, by the same function as the dashboard."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from flask import Flask

from app.export.datasheet import agreement_section
from app.stats.agreement import NO_VOTES, language_agreement
from tests.api.conftest import clip
from tests.dashboard.votes import arrange_units, new_contributor

A, R = "accept", "reject"


def arrange_with_audio(
    app: Flask, db: psycopg.Connection[Any], language: str, units: list[list[Any]], **kw: Any
) -> list[int]:
    """Recordings with their votes (tests/dashboard/votes.py), each with real audio stored,
    accepted or rejected by their majority (pending on a tie)."""
    storage = app.extensions["crowdsource.storage"]
    ids = []
    for unit in units:
        counted = [v for v in unit if isinstance(v, str)]
        accepts, rejects = counted.count(A), counted.count(R)
        status = "accepted" if accepts > rejects else "rejected" if rejects > accepts else "pending"
        key = f"recordings/{language}/{uuid.uuid4()}.wav"
        storage.put(key, clip("hi_1.wav"), content_type="audio/wav")
        ids += arrange_units(db, language, [unit], status=status, media_key=key, **kw)
    return ids


def test_the_datasheet_states_the_agreement_of_the_exported_language(
    app, db: psycopg.Connection, run_export, tmp_path
) -> None:
    validators = [new_contributor(db) for _ in range(3)]
    # Krippendorff's section A data (alpha = 2/21), plus votes that do not count and a
    # language that is not exported.
    first, second = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    verdict = {1: A, 0: R}
    units: list[list[Any]] = [[verdict[a], verdict[b]] for a, b in zip(first, second, strict=True)]
    units += [[A, (R, "practice", False)], [A, None, (R, "vote", False)]]
    arrange_with_audio(app, db, "hi", units, validators=validators)
    arrange_units(db, "en", [[A, R], [R, A]])

    run_export(tmp_path / "out", language="hi")

    readme = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "## Agreement between validators" in readme
    assert "Krippendorff's alpha (nominal: Correct / Incorrect): **0.095**" in readme
    assert "gave the same verdict: **60.0%** (10 pairs)" in readme
    assert "based on 20 votes on 10 recordings that at least two people checked, by 2 " in readme
    assert "0.800 or more" in readme


def test_the_datasheet_and_the_dashboard_use_the_same_figures(
    app, db: psycopg.Connection, run_export, tmp_path
) -> None:
    units = [[A, A, R], [R, R], [A, A], [A, R], [A, A, A, R], [R, R, A]]
    arrange_with_audio(app, db, "hi", units)

    run_export(tmp_path / "out", language="hi")

    expected = language_agreement(db, "hi")
    assert expected.alpha is not None and expected.pairwise is not None
    readme = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert f"**{expected.alpha:.3f}**" in readme
    assert f"**{expected.pairwise:.1%}** ({expected.pairs:,} pairs)" in readme


def test_a_language_without_two_counted_votes_on_a_recording_says_so(
    app, db: psycopg.Connection, run_export, tmp_path
) -> None:
    arrange_with_audio(app, db, "hi", [[A], [R, None], [A, (R, "check", False)]])

    run_export(tmp_path / "out", language="hi")

    readme = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "cannot be measured yet" in readme and "**" not in readme.split("## Agreement")[1][:400]


@pytest.mark.parametrize(
    ("units", "phrase"),
    [
        ([[A, A], [A, A, A]], "Every one of the 5 votes"),
        ([[R, R]], "Every one of the 2 votes"),
    ],
)
def test_unanimous_votes_leave_alpha_undefined_in_the_datasheet(
    db: psycopg.Connection, units: list[list[str]], phrase: str
) -> None:
    arrange_units(db, "hi", units)

    text = "\n".join(agreement_section(language_agreement(db, "hi")))

    assert phrase in text and "undefined without any variation" in text


def test_no_votes_at_all_reads_as_nothing_to_measure() -> None:
    text = "\n".join(agreement_section(NO_VOTES))

    assert "cannot be measured yet" in text
