"""`crowdsource known-answers list | mark | unmark | stats` through the installed command, on
recordings made through the API (or, for whole pools, arranged in the database)."""

from __future__ import annotations

from app.validate.trust import pools_ready
from tests.api.conftest import error_of, new_person, record
from tests.api.known_answers import seed_known_answers
from tests.conftest import CLI
from tests.ops.trust_helpers import add_sentences, recording_row, served_clips, vote
from tests.test_cli import assert_one_clear_line


def test_marking_sets_the_answer_and_the_verdict_and_unmarking_keeps_the_verdict(
    app, db, cli: CLI, base_env
) -> None:
    good_item, bad_item, other_item = add_sentences(db, 3)
    good, bad = record(new_person(app), good_item), record(new_person(app), bad_item)
    pending = record(new_person(app), other_item)

    accepted = cli.run("known-answers", "mark", good, "accept", **base_env)
    rejected = cli.run("known-answers", "mark", bad, "reject", **base_env)

    assert accepted.returncode == 0 and rejected.returncode == 0, accepted.stderr + rejected.stderr
    (line,) = accepted.stdout.strip().splitlines()
    pool = "practice" if recording_row(db, good)["id"] % 2 == 0 else "check"
    assert line == f"recording {good} (hi): known answer accept ({pool} pool), status accepted"
    rows = {r: recording_row(db, r) for r in (good, bad)}
    assert (rows[good]["status"], rows[good]["known_answer"]) == ("accepted", "accept")
    assert (rows[bad]["status"], rows[bad]["known_answer"]) == ("rejected", "reject")
    assert {rows[good]["known_answer_source"], rows[bad]["known_answer_source"]} == {"operator"}
    assert rows[good]["decided_at"] is not None
    assert served_clips(app) == [pending]  # settled clips leave the queue of pending ones

    listed = cli.run("known-answers", "list", "--language", "hi", **base_env)
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line.split() for line in listed.stdout.splitlines()[1:]}
    assert lines[good][1:3] == ["accept", "operator"] and lines[bad][1:3] == ["reject", "operator"]
    assert pending not in lines
    majority = cli.run("known-answers", "list", "--language", "hi", "--source", "majority",
                       **base_env)  # fmt: skip
    assert majority.stdout.strip() == "no known answers in hi from majority"

    unmarked = cli.run("known-answers", "unmark", good, **base_env)

    assert unmarked.returncode == 0, unmarked.stderr
    assert unmarked.stdout.strip() == f"recording {good} (hi): no known answer, status accepted"
    row = recording_row(db, good)
    assert (row["status"], row["known_answer"], row["known_answer_source"]) == (
        "accepted", None, None
    )  # fmt: skip


def test_a_clear_majority_is_listed_as_such(app, db, cli: CLI, base_env) -> None:
    (item,) = add_sentences(db, 1)
    recording = record(new_person(app), item)
    for _ in range(2):
        voter = new_person(app)
        assert vote(voter, recording, "accept").status_code == 201

    listed = cli.run("known-answers", "list", "--language", "hi", "--source", "majority",
                     **base_env)  # fmt: skip

    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()[1:]
    assert line.split()[:3] == [recording, "accept", "majority"]
    assert line.split()[4:6] == ["accepted", "2/0"]


def test_unknown_recordings_and_languages_are_one_clear_line(db, cli: CLI, base_env) -> None:
    unknown = "0b7d1a52-0000-4000-8000-000000000000"
    assert_one_clear_line(
        cli.run("known-answers", "mark", unknown, "accept", **base_env),
        f"no recording with id {unknown}",
    )
    assert_one_clear_line(
        cli.run("known-answers", "unmark", "nope", **base_env), "no recording with id 'nope'"
    )
    assert_one_clear_line(
        cli.run("known-answers", "list", "--language", "xx", **base_env), "no language"
    )
    maybe = cli.run("known-answers", "mark", unknown, "maybe", **base_env)
    assert maybe.returncode == 2 and "Invalid value" in maybe.stderr


def test_stats_count_both_pools_per_answer_and_say_when_warm_up_runs(
    db, cli: CLI, base_env
) -> None:
    seed_known_answers(db, "hi", each=4)
    seed_known_answers(db, "en", each=3)

    stats = cli.run("known-answers", "stats", **base_env)

    assert stats.returncode == 0, stats.stderr
    rows = {line.split()[0]: line for line in stats.stdout.splitlines()[2:]}
    assert rows["hi"].split()[:6] == ["hi", "4", "4", "4", "4", "16"]
    assert rows["hi"].endswith("  on")
    assert rows["en"].split()[:6] == ["en", "3", "3", "3", "3", "12"]
    assert "skipped (a pool has fewer than 4 of an answer)" in rows["en"]
    assert rows["ta"].split()[1:6] == ["0"] * 5
    off = cli.run("known-answers", "stats", WARMUP_CLIPS="0", **base_env)
    assert all(line.endswith("off (WARMUP_CLIPS=0)") for line in off.stdout.splitlines()[2:])
    fewer = cli.run("known-answers", "stats", KNOWN_ANSWERS_MIN="3", **base_env)
    assert {line.split()[0]: line.endswith("  on") for line in fewer.stdout.splitlines()[2:]}["en"]
    # the command's word is the rule's word
    assert pools_ready(db, "hi", 4) and not pools_ready(db, "en", 4)


def test_a_removed_recording_can_be_marked_but_joins_no_pool(app, db, cli: CLI, base_env) -> None:
    (item,) = add_sentences(db, 1)
    recording = record(new_person(app), item)
    assert cli.run("reports", "remove", "recording", recording, **base_env).returncode == 0

    marked = cli.run("known-answers", "mark", recording, "reject", **base_env)

    assert marked.returncode == 0, marked.stderr
    assert "(removed after a review: in no pool), status removed" in marked.stdout
    assert recording_row(db, recording)["status"] == "removed"
    stats = cli.run("known-answers", "stats", **base_env).stdout
    (hi,) = [line for line in stats.splitlines() if line.startswith("hi ")]
    assert hi.split()[1:6] == ["0"] * 5
    assert error_of(vote(new_person(app), recording, "reject")) == (409, "recording_removed")
