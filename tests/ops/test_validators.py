"""`crowdsource validators list | distrust | trust` through the installed command: votes cast
through the API, the operator's word taken back and given again, verdicts asserted in rows."""

from __future__ import annotations

import psycopg

from tests.api.conftest import Person, new_person, record
from tests.conftest import CLI
from tests.ops.trust_helpers import add_sentences, recording_row, served_clips, vote
from tests.test_cli import assert_one_clear_line


def standing(db: psycopg.Connection, someone: Person, language: str = "hi") -> dict:
    return db.execute(
        "SELECT state, reason FROM validator_standing WHERE validator_id = %s"
        " AND language_code = %s",
        (someone.contributor_id(), language),
    ).fetchone()


def counted(db: psycopg.Connection, someone: Person) -> list[bool]:
    rows = db.execute(
        "SELECT counted FROM validations WHERE validator_id = %s ORDER BY id",
        (someone.contributor_id(),),
    ).fetchall()
    return [row["counted"] for row in rows]


def test_distrust_takes_back_the_verdicts_a_validator_made_and_trust_gives_them_back(
    app, db, cli: CLI, base_env
) -> None:
    items = add_sentences(db, 3)
    recordings = [record(new_person(app), item) for item in items]
    suspect, honest = new_person(app), new_person(app)
    for recording in recordings[:2]:
        assert vote(suspect, recording, "accept").status_code == 201
        assert vote(honest, recording, "accept").status_code == 201
    assert vote(suspect, recordings[2], "reject").status_code == 201  # alone: still pending
    assert [recording_row(db, r)["status"] for r in recordings] == ["accepted"] * 2 + ["pending"]
    suspect_id = str(suspect.contributor_id())

    distrusted = cli.run("validators", "distrust", suspect_id, "--language", "hi",
                         "--reason", "votes with a ring of sessions", **base_env)  # fmt: skip

    assert distrusted.returncode == 0, distrusted.stderr
    assert distrusted.stdout.strip() == (
        f"validator {suspect_id} in hi: distrusted; 3 verdicts recomputed, 2 changed"
    )
    assert [recording_row(db, r)["status"] for r in recordings] == ["pending"] * 3
    assert [recording_row(db, r)["accept_count"] for r in recordings] == [1, 1, 0]
    assert counted(db, suspect) == [False] * 3 and counted(db, honest) == [True] * 2
    reason = "votes with a ring of sessions"
    assert standing(db, suspect) == {"state": "distrusted", "reason": reason}
    assert sorted(served_clips(app)) == sorted(recordings)  # back in the queue for others

    again = cli.run("validators", "distrust", suspect_id, "--language", "hi", **base_env)
    assert again.returncode == 0
    assert "0 verdicts recomputed, 0 changed" in again.stdout

    trusted = cli.run("validators", "trust", suspect_id, "--language", "hi", **base_env)

    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.strip() == (
        f"validator {suspect_id} in hi: counting; 3 verdicts recomputed, 2 changed"
    )
    assert [recording_row(db, r)["status"] for r in recordings] == ["accepted"] * 2 + ["pending"]
    assert counted(db, suspect) == [True] * 3
    assert standing(db, suspect) == {"state": "counting", "reason": "restored by an operator"}


def test_the_list_shows_each_validators_state_answers_and_votes(
    app, db, cli: CLI, base_env
) -> None:
    items = add_sentences(db, 2)
    recordings = [record(new_person(app), item) for item in items]
    steady, newcomer = new_person(app), new_person(app)
    for recording in recordings:
        assert vote(steady, recording, "accept").status_code == 201
    db.execute(
        "UPDATE validator_standing SET checks_answered = 10, checks_agreed = 9"
        " WHERE validator_id = %s",
        (steady.contributor_id(),),
    )
    db.execute(
        "INSERT INTO validator_standing (validator_id, language_code, state, practice_answered,"
        " practice_agreed) VALUES (%s, 'hi', 'warmup', 2, 1)",
        (newcomer.contributor_id(),),
    )
    assert (
        cli.run("validators", "distrust", str(steady.contributor_id()), "--language", "hi",
                **base_env).returncode == 0
    )  # fmt: skip

    listed = cli.run("validators", "list", "--language", "hi", **base_env)

    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split() for line in listed.stdout.splitlines()[1:]}
    assert rows[str(newcomer.contributor_id())][1:6] == ["warmup", "1/2", "0/0", "-", "0/0"]
    assert rows[str(steady.contributor_id())][1:6] == ["distrusted", "0/0", "9/10", "90%", "0/2"]
    assert " ".join(rows[str(steady.contributor_id())][6:]) == "distrusted by an operator"
    only = cli.run("validators", "list", "--language", "hi", "--state", "warmup", **base_env)
    assert [line.split()[0] for line in only.stdout.splitlines()[1:]] == [
        str(newcomer.contributor_id())
    ]
    none = cli.run("validators", "list", "--language", "en", **base_env)
    assert none.returncode == 0 and none.stdout.strip() == "no validators in en"


def test_unknown_validators_and_languages_are_one_clear_line_and_change_nothing(
    app, db, cli: CLI, base_env
) -> None:
    (item,) = add_sentences(db, 1)
    recording = record(new_person(app), item)
    voter = new_person(app)
    assert vote(voter, recording, "accept").status_code == 201
    voter_id = str(voter.contributor_id())
    stranger = "5e0c7b8e-0000-4000-8000-000000000000"

    assert_one_clear_line(
        cli.run("validators", "distrust", stranger, "--language", "hi", **base_env),
        f"no validator {stranger} in hi",
    )
    assert_one_clear_line(
        cli.run("validators", "trust", "not-an-id", "--language", "hi", **base_env),
        "no validator with id 'not-an-id'",
    )
    assert_one_clear_line(  # a validator of Hindi is not one of English
        cli.run("validators", "distrust", voter_id, "--language", "en", **base_env),
        f"no validator {voter_id} in en",
    )
    assert_one_clear_line(
        cli.run("validators", "list", "--language", "xx", **base_env), "no language with code"
    )
    assert db.execute("SELECT count(*) AS n FROM contributors WHERE id = %s",
                      (stranger,)).fetchone()["n"] == 0  # fmt: skip
    assert standing(db, voter)["state"] == "counting"
    assert counted(db, voter) == [True]


def test_a_validator_from_before_standings_can_be_distrusted(app, db, cli: CLI, base_env) -> None:
    (item,) = add_sentences(db, 1)
    recording = record(new_person(app), item)
    old, other = new_person(app), new_person(app)
    for someone in (old, other):
        assert vote(someone, recording, "accept").status_code == 201
    db.execute("DELETE FROM validator_standing WHERE validator_id = %s", (old.contributor_id(),))

    result = cli.run("validators", "distrust", str(old.contributor_id()), "--language", "hi",
                     **base_env)  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "1 verdict recomputed, 1 changed" in result.stdout
    assert recording_row(db, recording)["status"] == "pending"
    assert standing(db, old)["state"] == "distrusted"


def test_an_operators_known_answer_stays_the_verdict_when_a_voter_is_distrusted(
    app, db, cli: CLI, base_env
) -> None:
    (item,) = add_sentences(db, 1)
    recording = record(new_person(app), item)
    first, second = new_person(app), new_person(app)
    for someone in (first, second):
        assert vote(someone, recording, "accept").status_code == 201
    assert cli.run("known-answers", "mark", recording, "reject", **base_env).returncode == 0
    marked = recording_row(db, recording)

    result = cli.run("validators", "distrust", str(first.contributor_id()), "--language", "hi",
                     **base_env)  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "1 verdict recomputed, 0 changed" in result.stdout
    row = recording_row(db, recording)
    assert (row["status"], row["decided_at"], row["accept_count"]) == (
        "rejected", marked["decided_at"], 1
    )  # fmt: skip
    assert (row["known_answer"], row["known_answer_source"]) == ("reject", "operator")
