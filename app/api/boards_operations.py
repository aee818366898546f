"""The OpenAPI operations of the leaderboards (issue #20): the caller's own positions. The
boards themselves are not API operations: the refresh publishes them as leaderboard.json
(docs/dashboard.md); opting in is a field of PUT /me/profile."""

from __future__ import annotations

from app.api.building import DB, Obj, op, returns
from app.api.schemas import LANGUAGE_CODE, Schema, array, count, enum, nullable, obj, text

BOARDS_SCHEMAS: dict[str, Schema] = {
    "Rank": obj(
        language=LANGUAGE_CODE,
        task=enum("speak", "transcribe", "translate", "label"),
        period=enum(
            "week",
            "all",
            description="`week`: the 7 days before the refresh; `all`: all time.",
        ),
        rank=count(minimum=1, description="1 = most contributions + votes."),
        people=count(minimum=1, description="Everyone ranked on this board, opted in or not."),
        contributions=count(),
        votes=count(),
        accepted=count(),
    ),
    "MyRanks": obj(
        ranks=array({"$ref": "#/components/schemas/Rank"}),
        as_of=nullable(
            text(
                format="date-time",
                description="When the last successful refresh finished (null before any).",
            )
        ),
    ),
}


def boards_operations() -> list[tuple[str, str, Obj]]:
    """GET /me/ranks."""
    return [
        op("GET /me/ranks", "contributors.ranks", "The visitor's positions on the leaderboards",
            {200: returns("MyRanks", "Per language × task × period where the visitor "
                          "contributed or voted, as of the last refresh; an empty list "
                          "without a session.")},
            errors=DB,
            description="Read from the view the dashboard refresh fills (nothing is counted "
            "per request): a contribution made since shows after the next refresh. Everyone "
            "is ranked, whether or not they opted in to be named on the published boards."),
    ]  # fmt: skip
