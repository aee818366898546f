"""Votes arranged straight in the database (recordings, validators, verdicts, roles), and a
brute-force Krippendorff's alpha to check the published figures against."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations
from typing import Any

import psycopg

Vote = str | tuple[str, str, bool]  # "accept" | (verdict, role, counted)


def new_contributor(db: psycopg.Connection[Any]) -> uuid.UUID:
    """A contributor row (speaker or validator)."""
    person = uuid.uuid4()
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (person,))
    return person


def arrange_units(
    db: psycopg.Connection[Any],
    language: str,
    units: Sequence[Sequence[Vote | None]],
    *,
    validators: Sequence[uuid.UUID] | None = None,
    status: str = "pending",
    media_key: str | None = None,
) -> list[int]:
    """One recording per unit, each read by a new speaker; position j of a unit is the vote of
    validators[j] (None: that validator did not vote). A vote is a verdict, or (verdict, role,
    counted). Returns the recordings' ids."""
    width = max((len(unit) for unit in units), default=0)
    pool = list(validators) if validators is not None else []
    pool += [new_contributor(db) for _ in range(width - len(pool))]
    ids = []
    for unit in units:
        with db.transaction():  # a recording, its votes and its counts commit together
            ids.append(_recording_with_votes(db, language, pool, unit, status, media_key))
    return ids


def _recording_with_votes(
    db: psycopg.Connection[Any],
    language: str,
    pool: list[uuid.UUID],
    unit: Sequence[Any],
    status: str,
    media_key: str | None,
) -> int:
    """One recording of `unit` with its votes, and its counts: the counted votes."""
    speaker = new_contributor(db)
    item = db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES (%s, 'sentence', %s)"
        " RETURNING id",
        (language, f"Agreement sentence {uuid.uuid4().hex}"),
    ).fetchone()
    public_id = uuid.uuid4()
    row = db.execute(
        """INSERT INTO contributions
             (public_id, contributor_id, item_id, language_code, kind, idempotency_key,
              media_key, media_type, size_bytes, duration_ms, status, decided_at)
           VALUES (%s, %s, %s, %s, 'recording', %s, %s, 'audio/wav', 1000, 3000, %s,
                   CASE WHEN %s = 'pending' THEN NULL ELSE now() END)
           RETURNING id""",
        (
            public_id, speaker, item["id"], language, public_id.hex,
            media_key or f"recordings/{language}/{public_id}.wav", status, status,
        ),
    ).fetchone()  # fmt: skip
    for validator, vote in zip(pool, unit, strict=False):
        if vote is None:
            continue
        verdict, role, counted = (vote, "vote", True) if isinstance(vote, str) else vote
        db.execute(
            "INSERT INTO validations (contribution_id, validator_id, verdict, role, counted,"
            " expected) VALUES (%s, %s, %s, %s, %s, %s)",
            (row["id"], validator, verdict, role, counted, None if role == "vote" else verdict),
        )
    # the counts are the counted votes (the schema checks it at commit, migration 0009)
    db.execute(
        """UPDATE contributions c
              SET accept_count = v.a, reject_count = v.r
             FROM (SELECT count(*) FILTER (WHERE counted AND verdict = 'accept') AS a,
                          count(*) FILTER (WHERE counted AND verdict = 'reject') AS r
                     FROM validations WHERE contribution_id = %(id)s) v
            WHERE c.id = %(id)s""",
        {"id": row["id"]},
    )
    return int(row["id"])


def counted_units(db: psycopg.Connection[Any], language: str | None = None) -> list[list[str]]:
    """The verdicts of every recording as the definition reads (counted ordinary votes on
    recordings not removed), one list per recording, read row by row."""
    units: dict[int, list[str]] = {}
    for row in db.execute(
        """SELECT v.contribution_id, v.verdict, v.role, v.counted, c.status, c.kind,
                  c.language_code
             FROM validations v JOIN contributions c ON c.id = v.contribution_id"""
    ):
        if language is not None and row["language_code"] != language:
            continue
        ordinary = row["role"] == "vote" and row["counted"]
        if ordinary and row["kind"] == "recording" and row["status"] != "removed":
            units.setdefault(row["contribution_id"], []).append(row["verdict"])
    return list(units.values())


def brute_force_alpha(units: Sequence[Sequence[Any]]) -> Fraction | None:
    """Krippendorff's alpha (nominal) straight from its definition, exactly: observed
    disagreement over the pairs within each unit (weighted 1/(m_u - 1)), expected
    disagreement over every pair of pairable values in the data. None when undefined."""
    pairable = [list(unit) for unit in units if len(unit) >= 2]
    values = [value for unit in pairable for value in unit]
    n = len(values)
    if n < 2:
        return None
    observed = sum(
        (
            Fraction(2 * sum(a != b for a, b in combinations(unit, 2)), len(unit) - 1)
            for unit in pairable
        ),
        Fraction(0),
    )
    expected = Fraction(2 * sum(a != b for a, b in combinations(values, 2)), n - 1)
    if expected == 0:
        return None
    return 1 - observed / expected


def brute_force_pairwise(units: Sequence[Sequence[Any]]) -> Fraction | None:
    """The share of agreeing pairs of votes within recordings, every pair counted once."""
    pairs = [a == b for unit in units for a, b in combinations(unit, 2)]
    return Fraction(sum(pairs), len(pairs)) if pairs else None
