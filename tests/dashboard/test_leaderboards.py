"""Opt-in leaderboards (issue #20): boards per language × task × week/all time, published by
the refresh with the names of opted-in people only, shown from five of them; everyone's own
position from GET /api/v1/me/ranks, read from the refreshed view."""

from __future__ import annotations

import json
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.api.conftest import Person, error_of, new_person
from tests.dashboard.conftest import published

KINDS = {"speak": "recording", "transcribe": "transcription", "translate": "translation",
         "label": "label"}  # fmt: skip


class Work:
    """Contributions and votes written straight into the tables, at any time in the past
    (the API stamps the present), so that weeks and ties can be set up exactly."""

    def __init__(self, db: psycopg.Connection) -> None:
        self.db = db
        self.filler = uuid.uuid4()  # the author of the contributions people vote on
        db.execute("INSERT INTO contributors (id) VALUES (%s)", (self.filler,))

    def _item(self, language: str) -> int:
        row = self.db.execute(
            "INSERT INTO dataset_rows (language_code, kind, text) VALUES (%s, 'sentence', %s)"
            " RETURNING id",
            (language, f"item {uuid.uuid4().hex}"),
        ).fetchone()
        assert row is not None
        return int(row["id"])

    def contribute(
        self, who: uuid.UUID, n: int, *, task: str = "speak", language: str = "hi",
        days_ago: float = 0, accepted: int = 0, status: str | None = None,
    ) -> list[int]:  # fmt: skip
        """`n` contributions by `who`, the first `accepted` of them accepted."""
        ids = []
        for i in range(n):
            state = status or ("accepted" if i < accepted else "pending")
            row = self.db.execute(
                """INSERT INTO contributions
                       (public_id, contributor_id, item_id, language_code, kind, idempotency_key,
                        media_key, duration_ms, text, status, created_at, decided_at)
                   VALUES (%(public)s, %(who)s, %(item)s, %(language)s, %(kind)s, %(key)s,
                           'x/clip.webm', 2000, 'text', %(status)s,
                           now() - %(days)s * interval '1 day',
                           CASE WHEN %(status)s = 'pending' THEN NULL ELSE now() END)
                   RETURNING id""",
                {"public": uuid.uuid4(), "who": who, "item": self._item(language),
                 "language": language, "kind": KINDS[task], "key": uuid.uuid4().hex,
                 "status": state, "days": days_ago},
            ).fetchone()  # fmt: skip
            assert row is not None
            ids.append(int(row["id"]))
        return ids

    def vote(
        self, who: uuid.UUID, n: int, *, task: str = "speak", language: str = "hi",
        days_ago: float = 0,
    ) -> None:  # fmt: skip
        """`n` votes by `who` on the filler's contributions (removed ones, so that the filler
        is ranked nowhere; the votes are not counted toward verdicts, so the tallies stay as
        they are)."""
        made = self.contribute(self.filler, n, task=task, language=language, status="removed")
        for contribution in made:
            self.db.execute(
                """INSERT INTO validations (contribution_id, validator_id, verdict, counted,
                                            created_at)
                   VALUES (%s, %s, 'accept', false, now() - %s * interval '1 day')""",
                (contribution, who, days_ago),
            )


@pytest.fixture
def work(db: psycopg.Connection) -> Work:
    return Work(db)


@pytest.fixture
def named(person: Callable[[], Person]) -> Callable[..., Person]:
    """A person with a display name, opted in to the leaderboards unless told otherwise."""

    def make(name: str, *, opt_in: bool = True) -> Person:
        someone = person()
        profile = {"display_name": name, "leaderboard_opt_in": opt_in}
        response = someone.put("/api/v1/me/profile", json=profile)
        assert response.status_code == 200, response.get_json()
        return someone

    return make


def board(app: Any, task: str = "speak", period: str = "all", language: str = "hi") -> Any:
    return published(app)["leaderboard"]["languages"][language][task][period]


def me(client: Person) -> uuid.UUID:
    who = client.contributor_id()
    assert who is not None
    return who


def test_opting_in_is_off_by_default_so_nobody_is_named(
    app, db, named, work: Work, refresh
) -> None:
    people = [named(f"Quiet {i}", opt_in=False) for i in range(7)]
    assert people[0].get("/api/v1/me").get_json()["profile"]["leaderboard_opt_in"] is False
    for n, someone in enumerate(people):
        work.contribute(me(someone), n + 1)
    refresh()

    assert board(app) == {"shown": False, "people": 7, "contributors": []}
    text = json.dumps(published(app)["leaderboard"])
    assert "Quiet" not in text
    rows = db.execute("SELECT count(*) AS n FROM contributors WHERE leaderboard_opt_in").fetchone()
    assert rows["n"] == 0


def test_opting_in_needs_a_display_name(db, person) -> None:
    someone = person()
    response = someone.put("/api/v1/me/profile", json={"leaderboard_opt_in": True})
    assert error_of(response) == (422, "invalid_value")
    assert response.get_json()["error"]["field"] == "leaderboard_opt_in"
    assert "display name" in response.get_json()["error"]["message"]
    # Refused whole: a name cleared in the same request does not count either.
    response = someone.put(
        "/api/v1/me/profile", json={"gender": "female", "leaderboard_opt_in": True}
    )
    assert error_of(response) == (422, "invalid_value")
    stored = db.execute(
        "SELECT gender, leaderboard_opt_in FROM contributors WHERE id = %s", (me(someone),)
    ).fetchone()
    assert stored is None or (stored["gender"], stored["leaderboard_opt_in"]) == (None, False)

    for hostile in ("yes", 1, None, [], {}):
        response = someone.put("/api/v1/me/profile", json={"leaderboard_opt_in": hostile})
        assert error_of(response) == (422, "invalid_value"), hostile

    # With a name (given in the same request), yes; clearing the name opts out.
    response = someone.put(
        "/api/v1/me/profile", json={"display_name": "Asha", "leaderboard_opt_in": True}
    )
    assert response.get_json()["profile"]["leaderboard_opt_in"] is True
    response = someone.put("/api/v1/me/profile", json={"display_name": ""})
    assert response.get_json()["profile"] == {
        "display_name": None, "age_group": None, "gender": None, "mother_tongue": None,
        "region_code": None, "leaderboard_opt_in": False,
    }  # fmt: skip
    # Whatever the code does, the database refuses an opt-in without a name.
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute(
            "UPDATE contributors SET leaderboard_opt_in = true WHERE id = %s", (me(someone),)
        )


def test_a_board_is_shown_from_five_opted_in_people_and_lists_ten(
    app, named, work: Work, refresh
) -> None:
    people = [named(f"Volunteer {i}") for i in range(12)]
    for n, someone in enumerate(people[:4]):
        work.contribute(me(someone), 10 - n)
    refresh()
    assert board(app) == {"shown": False, "people": 4, "contributors": []}

    work.contribute(me(people[4]), 1)
    refresh()
    shown = board(app)
    assert shown["shown"] is True and shown["people"] == 5
    assert [c["display_name"] for c in shown["contributors"]] == [
        f"Volunteer {i}" for i in range(5)
    ]
    assert [c["rank"] for c in shown["contributors"]] == [1, 2, 3, 4, 5]

    for someone in people[5:]:
        work.contribute(me(someone), 1)
    refresh()
    assert len(board(app)["contributors"]) == 10 and board(app)["people"] == 12


def test_opted_out_people_are_ranked_but_never_named(
    app, named, person, work: Work, refresh
) -> None:
    shown = [named(f"Shown {i}") for i in range(5)]
    hidden = named("Hidden Champion", opt_in=False)
    anonymous = person()
    work.contribute(me(hidden), 50)
    work.vote(me(anonymous), 30)
    for n, someone in enumerate(shown):
        work.contribute(me(someone), 10 - n)
    refresh()

    published_board = board(app)
    assert [c["display_name"] for c in published_board["contributors"]] == [
        f"Shown {i}" for i in range(5)
    ]
    assert [c["rank"] for c in published_board["contributors"]] == [3, 4, 5, 6, 7]
    assert "Hidden Champion" not in json.dumps(published(app))

    ranks = hidden.get("/api/v1/me/ranks").get_json()
    assert ranks["as_of"] is not None
    assert ranks["ranks"] == [
        {"language": "hi", "task": "speak", "period": period, "rank": 1, "people": 7,
         "contributions": 50, "votes": 0, "accepted": 0}
        for period in ("week", "all")
    ]  # fmt: skip
    mine = anonymous.get("/api/v1/me/ranks").get_json()["ranks"]
    assert [(r["period"], r["rank"], r["votes"]) for r in mine] == [("week", 2, 30), ("all", 2, 30)]

    # Opting out later takes the name off at the next refresh, though the view is unchanged.
    assert shown[0].put("/api/v1/me/profile", json={"leaderboard_opt_in": False}).status_code == 200
    refresh()
    assert board(app) == {"shown": False, "people": 7, "contributors": []}


def test_the_week_counts_the_last_seven_days_and_all_time_everything(
    app, named, work: Work, refresh
) -> None:
    old, *recent = [named(f"Person {i}") for i in range(6)]
    work.contribute(me(old), 100, days_ago=30)
    work.contribute(me(old), 1, days_ago=1)
    for n, someone in enumerate(recent):
        work.contribute(me(someone), 5 + n, days_ago=2)
        work.contribute(me(someone), 50, days_ago=8)  # just outside the week
    refresh()

    all_time = [c["display_name"] for c in board(app, period="all")["contributors"]]
    week = board(app, period="week")["contributors"]
    assert all_time[0] == "Person 0"
    assert [c["display_name"] for c in week] == [f"Person {i}" for i in (5, 4, 3, 2, 1, 0)]
    assert week[-1]["contributions"] == 1 and week[0]["contributions"] == 9
    window = published(app)["leaderboard"]["week"]
    assert window["start"] < window["end"]


def test_each_task_has_its_own_board_counting_its_contributions_and_votes(
    app, named, work: Work, refresh
) -> None:
    people = [named(f"Worker {i}") for i in range(5)]
    for n, someone in enumerate(people):
        work.contribute(me(someone), n + 1, task="transcribe")
        work.vote(me(someone), 5 - n, task="label", language="en")
    refresh()

    transcribe = board(app, task="transcribe")
    assert [c["display_name"] for c in transcribe["contributors"]] == [
        f"Worker {i}" for i in (4, 3, 2, 1, 0)
    ]
    label = board(app, task="label", language="en")
    assert [c["display_name"] for c in label["contributors"]] == [f"Worker {i}" for i in range(5)]
    assert label["contributors"][0] == {
        "rank": 1, "display_name": "Worker 0", "contributions": 0, "votes": 5, "accepted": 0,
    }  # fmt: skip
    # Nobody else is on these boards, and nobody on speak's or translate's.
    assert label["people"] == 5 and transcribe["people"] == 5
    assert board(app)["people"] == 0 and board(app, task="translate")["people"] == 0


def test_ties_go_to_more_accepted_then_to_whoever_got_there_first(
    app, named, work: Work, refresh
) -> None:
    late, early, accepted, *others = [named(f"Tie {i}") for i in range(5)]
    work.contribute(me(late), 4, days_ago=1)
    work.contribute(me(early), 4, days_ago=3)
    work.contribute(me(accepted), 4, days_ago=0, accepted=2)
    for someone in others:
        work.contribute(me(someone), 1)
    refresh()
    names = [c["display_name"] for c in board(app)["contributors"]]
    assert names[:3] == ["Tie 2", "Tie 1", "Tie 0"]


def test_my_ranks_without_a_session_is_an_empty_list(app, person) -> None:
    visitor = new_person(app, session=False)
    response = visitor.get("/api/v1/me/ranks")
    assert response.status_code == 200
    assert response.get_json() == {"ranks": [], "as_of": None}
    assert visitor.get_cookie("cs_id") is None
    # A session with nothing done yet: empty too.
    assert person().get("/api/v1/me/ranks").get_json()["ranks"] == []


def test_removed_contributions_do_not_count(app, named, work: Work, refresh) -> None:
    people = [named(f"Clean {i}") for i in range(5)]
    work.contribute(me(people[0]), 20, status="removed")
    for someone in people:
        work.contribute(me(someone), 1)
    refresh()
    assert {c["contributions"] for c in board(app)["contributors"]} == {1}


_INDEPENDENT = """
SELECT c.language_code, c.kind, c.contributor_id AS who, 1 AS contributed, 0 AS voted,
       (c.status = 'accepted')::int AS accepted, c.created_at
  FROM contributions c WHERE c.status <> 'removed'
UNION ALL
SELECT c.language_code, c.kind, v.validator_id, 0, 1, 0, v.created_at
  FROM validations v JOIN contributions c ON c.id = v.contribution_id
"""


def test_the_published_boards_equal_an_independent_count(
    app, db, named, person, work: Work, refresh
) -> None:
    people = [named(f"Many {i}", opt_in=i % 3 != 0) for i in range(14)]
    people += [person() for _ in range(3)]
    for n, someone in enumerate(people):
        for task in ("speak", "translate"):
            work.contribute(me(someone), (n * 7) % 11 + 1, task=task, days_ago=n % 10,
                            accepted=n % 4)  # fmt: skip
        work.vote(me(someone), (n * 5) % 9, task="speak", language="en", days_ago=(n * 3) % 12)
    refresh()
    leaderboard = published(app)["leaderboard"]
    tasks = {kind: task for task, kind in KINDS.items()}
    names = {
        row["id"]: row["display_name"]
        for row in db.execute("SELECT id, display_name FROM contributors WHERE leaderboard_opt_in")
    }

    totals: dict[tuple[str, str, str], dict[Any, list[Any]]] = defaultdict(dict)
    now = db.execute("SELECT now() AS now").fetchone()["now"]
    for row in db.execute(_INDEPENDENT):
        periods = ["all"] + (["week"] if (now - row["created_at"]).days < 7 else [])
        for period in periods:
            key = (row["language_code"], tasks[row["kind"]], period)
            mine = totals[key].setdefault(row["who"], [0, 0, 0, row["created_at"]])
            mine[0] += row["contributed"]
            mine[1] += row["voted"]
            mine[2] += row["accepted"]
            mine[3] = max(mine[3], row["created_at"])

    checked = 0
    for (language, task, period), people_there in totals.items():
        ranked = sorted(
            people_there.items(),
            key=lambda item: (-(item[1][0] + item[1][1]), -item[1][2], item[1][3], str(item[0])),
        )
        expected = [
            {"rank": rank, "display_name": names[who], "contributions": c, "votes": v,
             "accepted": a}
            for rank, (who, (c, v, a, _)) in enumerate(ranked, start=1)
            if who in names
        ][:10]  # fmt: skip
        got = leaderboard["languages"][language][task][period]
        named_there = sum(who in names for who in people_there)
        assert got == {
            "shown": named_there >= 5,
            "people": len(people_there),
            "contributors": expected if named_there >= 5 else [],
        }, (language, task, period)
        checked += got["shown"]
    assert checked >= 4  # speak and translate in Hindi, week and all time (and speak in English)


def test_opting_in_while_the_name_is_cleared_never_leaves_an_unnamed_opt_in(
    app, db, person
) -> None:
    """Two writes of one profile at once (the page saves field by field): an opt-in and the
    name being cleared. The row lock makes one wait for the other, so either the opt-in is
    refused (the name was gone) or it went first and the clearing turned it off; never an
    error, never an opt-in without a name. (Straight to update_profile: the API's limit of
    10 profile writes a minute per session would stop the rounds first.)"""
    from app.contributors.service import InvalidProfileValue, update_profile

    who = me(person())
    pool = app.extensions["crowdsource.db"]
    outcomes = set()
    for round_ in range(30):
        with pool.connection() as conn:
            update_profile(conn, who, {"display_name": "Asha", "leaderboard_opt_in": False})
        barrier = threading.Barrier(2)
        results: dict[str, str] = {}

        def write(
            name: str,
            changes: dict[str, Any],
            barrier: threading.Barrier = barrier,
            results: dict[str, str] = results,
        ) -> None:
            barrier.wait()
            try:
                with pool.connection() as conn:
                    update_profile(conn, who, changes)
                results[name] = "saved"
            except InvalidProfileValue:
                results[name] = "refused"

        threads = [
            threading.Thread(target=write, args=("opt_in", {"leaderboard_opt_in": True})),
            threading.Thread(target=write, args=("clear", {"display_name": None})),
        ]
        for thread in threads[:: 1 if round_ % 2 else -1]:
            thread.start()
        for thread in threads:
            thread.join()
        assert results["clear"] == "saved"
        outcomes.add(results["opt_in"])
        row = db.execute(
            "SELECT display_name, leaderboard_opt_in FROM contributors WHERE id = %s", (who,)
        ).fetchone()
        assert row == {"display_name": None, "leaderboard_opt_in": False}
    assert outcomes <= {"saved", "refused"}
