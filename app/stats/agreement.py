"""How far validators agree, per language: Krippendorff's alpha and pairwise agreement.

What is measured: the counted ordinary votes (`validations.role = 'vote' AND counted`; practice
answers, checks on known-answer clips and votes of distrusted validators are left out) on
recordings that were not removed. A recording is a *unit*; its votes are the *values* given by
*coders* (one vote per validator per recording, a unique constraint). Only recordings with at
least two such votes can show agreement or disagreement, so only they are counted.

Krippendorff's alpha for nominal data (K. Krippendorff, "Computing Krippendorff's
Alpha-Reliability", 2011, https://repository.upenn.edu/asc_papers/43/, sections A and C,
whose worked examples tests/dashboard/test_agreement.py reproduces):

    o_ck = sum over units u of (number of ordered pairs (c, k) of values in u from different
           coders) / (m_u - 1)                          -- the coincidence matrix
    n_c  = sum_k o_ck,   n = sum_c n_c                  -- pairable values
    D_o  = (1 / n) * sum_{c != k} o_ck                  -- observed disagreement
    D_e  = 1 / (n (n - 1)) * sum_{c != k} n_c n_k       -- disagreement expected by chance
    alpha = 1 - D_o / D_e = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k

With two values (accept a_u, reject r_u, m_u = a_u + r_u in unit u):
o_ar = o_ra = sum_u a_u r_u / (m_u - 1), o_aa = n_a - o_ar, o_rr = n_r - o_ar, hence
alpha = 1 - (n - 1) o_ar / (n_a n_r). The database sums a_u, r_u and a_u r_u / (m_u - 1) per
language in one pass (`coincidences`); `nominal_alpha` applies the formula.

alpha is 1 for perfect agreement, 0 for agreement no better than chance, negative when
validators disagree more than chance would. Degenerate cases, stated rather than guessed:

- no recording has two counted votes: nothing to compare; alpha and the pairwise agreement are
  None (reason "no_pairs");
- every pairable vote has the same value (all accept, or all reject): D_e = 0 and D_o = 0, so
  alpha = 0/0 is undefined (as Scott's pi and Fleiss' kappa are for such "invariant values").
  Some programs report 1.0 here; we do not: validators who only ever said "Correct" agree
  perfectly and still show nothing about whether they can tell a good clip from a bad one.
  alpha is None (reason "no_variation"); the pairwise agreement is 1.0, which is true.

The pairwise agreement is the share of pairs of validators on the same recording who gave the
same verdict, every pair counted once: sum_u [C(a_u, 2) + C(r_u, 2)] / sum_u C(m_u, 2). (It
differs from alpha's observed agreement 1 - D_o, which weighs each unit's pairs by
1 / (m_u - 1), only when recordings have more than two votes.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.db import Conn

ACCEPT, REJECT = "accept", "reject"
ALL_LANGUAGES = "*"  # the key of the figures pooled over every language

# One pass over the counted votes, in the order of the validations' unique index
# (contribution_id, validator_id), merge-joined to their recordings: a window counts each
# recording's votes (m), and one grouping of the votes with m >= 2 makes, at once, a row per
# recording (streamed, since the rows come sorted by recording), a row per (language,
# validator) and a row per validator (both hashed, one entry per person). The outer grouping
# sums the recordings' terms and counts people, per language and for all languages. The
# first version (a CTE read twice, count(DISTINCT) over every vote) hashed every recording
# (120 MB for a million) and took 7.4-11.2 s where this one takes 5.1-7.6 s on 1.84 million
# votes (docs/dashboard.md). a*r/(m-1) is summed as numeric (exact to ~20 digits).
# GROUPING(contribution_id, language_code, validator_id) tells the inner rows apart: 3 = a
# recording, 4 = a (language, validator), 6 = a validator.
_COINCIDENCES = """
WITH votes AS (
    SELECT c.language_code, v.contribution_id, v.validator_id, v.verdict,
           count(*) OVER (PARTITION BY v.contribution_id) AS m
      FROM validations v
      JOIN contributions c ON c.id = v.contribution_id
     WHERE v.role = 'vote' AND v.counted
       AND c.kind = 'recording' AND c.status <> 'removed'
       AND (%(language)s::text IS NULL OR c.language_code = %(language)s::text)
), grouped AS (
    SELECT GROUPING(contribution_id, language_code, validator_id) AS g,
           CASE WHEN GROUPING(contribution_id) = 0 THEN min(language_code)
                ELSE language_code END AS language,
           count(*) FILTER (WHERE verdict = 'accept') AS a,
           count(*) FILTER (WHERE verdict = 'reject') AS r
      FROM votes
     WHERE m >= 2
     GROUP BY GROUPING SETS ((contribution_id), (language_code, validator_id), (validator_id))
)
SELECT GROUPING(language) = 1 AS everything, language AS language_code,
       count(*) FILTER (WHERE g = 3) AS recordings,
       coalesce(sum(a) FILTER (WHERE g = 3), 0) AS accepts,
       coalesce(sum(r) FILTER (WHERE g = 3), 0) AS rejects,
       coalesce(sum(a * r / (a + r - 1)::numeric) FILTER (WHERE g = 3), 0) AS disagreement,
       coalesce(sum((a * (a - 1) + r * (r - 1)) / 2) FILTER (WHERE g = 3), 0) AS agreeing_pairs,
       coalesce(sum((a + r) * (a + r - 1) / 2) FILTER (WHERE g = 3), 0) AS pairs,
       CASE WHEN GROUPING(language) = 1 THEN count(*) FILTER (WHERE g = 6)
            ELSE count(*) FILTER (WHERE g = 4) END AS validators
  FROM grouped
 GROUP BY GROUPING SETS ((language), ())
HAVING GROUPING(language) = 1 OR language IS NOT NULL
"""


@dataclass(frozen=True)
class Agreement:
    """Agreement between validators over one language's (or every language's) counted votes."""

    alpha: float | None  # Krippendorff's alpha, nominal; None when undefined (see `undefined`)
    pairwise: float | None  # share of agreeing validator pairs; None without pairs
    recordings: int  # recordings with at least two counted votes
    votes: int  # their votes (the pairable values, n)
    pairs: int  # pairs of validators who voted on the same recording
    validators: int  # distinct validators who cast those votes
    undefined: str | None = None  # "no_pairs" | "no_variation" when alpha is None

    def as_json(self, digits: int = 4) -> dict[str, Any]:
        """The published shape (docs/dashboard.md): figures rounded to `digits` places."""
        return {
            "alpha": None if self.alpha is None else round(self.alpha, digits),
            "pairwise": None if self.pairwise is None else round(self.pairwise, digits),
            "recordings": self.recordings,
            "votes": self.votes,
            "pairs": self.pairs,
            "validators": self.validators,
            "undefined": self.undefined,
        }


NO_VOTES = Agreement(None, None, 0, 0, 0, 0, "no_pairs")


def nominal_alpha(coincidences: Mapping[tuple[str, str], float | Decimal | int]) -> float | None:
    """Krippendorff's alpha for nominal data from a coincidence matrix {(c, k): o_ck}
    (symmetric, any number of values); None when undefined (no pairable values, or a single
    value in use, so no disagreement can be expected). See the module docstring."""
    totals: dict[str, float] = {}
    observed = 0.0  # sum over c != k of o_ck
    for (c, k), o in coincidences.items():
        totals[c] = totals.get(c, 0.0) + float(o)
        if c != k:
            observed += float(o)
    n = sum(totals.values())
    # sum over c != k of n_c n_k = n^2 - sum_c n_c^2
    expected = n * n - sum(v * v for v in totals.values())
    if n <= 1 or expected <= 1e-12 * max(1.0, n * n):
        return None
    return 1.0 - (n - 1.0) * observed / expected


def from_sums(
    *,
    recordings: int,
    accepts: int,
    rejects: int,
    disagreement: float | Decimal,
    agreeing_pairs: int,
    pairs: int,
    validators: int,
) -> Agreement:
    """An Agreement from the per-language sums of `_COINCIDENCES` (a_u, r_u and
    a_u r_u / (m_u - 1) summed over units with m_u >= 2; pair counts; validators)."""
    if recordings == 0 or pairs == 0:
        return NO_VOTES
    o_ar = float(disagreement)
    matrix = {
        (ACCEPT, ACCEPT): accepts - o_ar,
        (ACCEPT, REJECT): o_ar,
        (REJECT, ACCEPT): o_ar,
        (REJECT, REJECT): rejects - o_ar,
    }
    alpha = nominal_alpha(matrix)
    return Agreement(
        alpha=alpha,
        pairwise=agreeing_pairs / pairs,
        recordings=recordings,
        votes=accepts + rejects,
        pairs=pairs,
        validators=validators,
        undefined="no_variation" if alpha is None else None,
    )


def agreement_by_language(conn: Conn, language: str | None = None) -> dict[str, Agreement]:
    """Agreement per language code, plus ALL_LANGUAGES pooled over every recording (a unit is
    a recording whatever its language). Only languages with at least one recording with two
    counted votes appear; `language` limits the pass to one language."""
    rows = conn.execute(_COINCIDENCES, {"language": language}).fetchall()
    found = {}
    for row in rows:
        key = ALL_LANGUAGES if row["everything"] else row["language_code"]
        found[key] = from_sums(
            recordings=int(row["recordings"]),
            accepts=int(row["accepts"]),
            rejects=int(row["rejects"]),
            disagreement=row["disagreement"],
            agreeing_pairs=int(row["agreeing_pairs"]),
            pairs=int(row["pairs"]),
            validators=int(row["validators"]),
        )
    found.setdefault(ALL_LANGUAGES, NO_VOTES)
    return found


def language_agreement(conn: Conn, language: str) -> Agreement:
    """Agreement between the validators of one language (NO_VOTES when nothing to compare)."""
    return agreement_by_language(conn, language).get(language, NO_VOTES)
