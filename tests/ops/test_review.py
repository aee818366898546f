"""`crowdsource reports list | restore | remove`: the review queue of what reports hid, run as an
operator runs it (the installed command on the test's database), with the items made and
checked through the API."""

from __future__ import annotations

import json
from typing import Any

import psycopg
from flask import Flask

from app.contribute.opening import set_task
from app.reports.review import remove, restore, review_queue
from app.tasks import LABEL
from tests.api.conftest import error_of, new_person, record
from tests.api.test_tasks import HINDI, add_items, answer, vote
from tests.conftest import CLI
from tests.ops.trust_helpers import (
    add_sentences,
    recording_row,
    report,
    served_clips,
    served_sentences,
)
from tests.test_cli import assert_one_clear_line


def hide_recording(app: Flask, db: psycopg.Connection, item: int) -> str:
    recording = record(new_person(app), item)
    for reason in ("poor_audio", "poor_audio", "mismatch"):
        report(app, db, "recording", recording, trusted=True, reason=reason)
    assert recording not in served_clips(app)
    return recording


def reports_of(db: psycopg.Connection, column: str, value: Any) -> list[str]:
    rows = db.execute(
        f"SELECT r.status FROM reports r WHERE r.{column} = %s ORDER BY r.id", (value,)
    ).fetchall()
    return [row["status"] for row in rows]


def test_a_restored_recording_is_served_again_and_its_reports_are_dismissed(
    app, db, cli: CLI, base_env
) -> None:
    (item,) = add_sentences(db, 1)
    recording = hide_recording(app, db, item)

    listed = cli.run("reports", "list", **base_env)
    assert listed.returncode == 0, listed.stderr
    (line,) = [row for row in listed.stdout.splitlines() if recording in row]
    assert line.split()[:4] == ["recording", recording, "hi", "hidden"]
    assert "mismatch 1, poor_audio 2" in line
    assert listed.stdout.strip().endswith("1 hidden, waiting for review")

    restored = cli.run("reports", "restore", "recording", recording, **base_env)

    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.strip() == (
        f"restored recording {recording} (hi): 3 reports dismissed, back in the queues (pending)"
    )
    row = recording_row(db, recording)
    assert (row["status"], row["report_count"]) == ("pending", 0)
    assert reports_of(db, "contribution_id", row["id"]) == ["dismissed"] * 3
    assert served_clips(app) == [recording]
    assert cli.run("reports", "list", **base_env).stdout.strip() == "nothing waiting for review"

    again = cli.run("reports", "restore", "recording", recording, **base_env)
    assert again.returncode == 0, again.stderr
    assert "nothing to do, in the queues" in again.stdout


def test_a_removed_recording_is_never_served_and_votes_on_it_are_409(
    app, db, cli: CLI, base_env
) -> None:
    items = add_sentences(db, 2)
    recording = hide_recording(app, db, items[0])
    other = record(new_person(app), items[1])

    removed = cli.run("reports", "remove", "recording", recording, **base_env)

    assert removed.returncode == 0, removed.stderr
    assert "3 reports resolved, out of the queues for good (removed)" in removed.stdout
    row = recording_row(db, recording)
    assert row["status"] == "removed" and row["decided_at"] is not None
    assert reports_of(db, "contribution_id", row["id"]) == ["resolved"] * 3
    assert served_clips(app) == [other]
    assert error_of(
        new_person(app).post(f"/api/v1/recordings/{recording}/votes", json={"verdict": "accept"})
    ) == (409, "recording_removed")
    assert "nothing waiting" in cli.run("reports", "list", "--all", **base_env).stdout

    again = cli.run("reports", "remove", "recording", recording, **base_env)
    assert again.returncode == 0 and "nothing to do, already removed" in again.stdout
    assert recording_row(db, recording)["decided_at"] == row["decided_at"]


def test_removing_an_accepted_recording_keeps_when_it_was_decided_and_a_restore_undoes_it(
    app, db, cli: CLI, base_env
) -> None:
    (item,) = add_sentences(db, 1)
    recording = record(new_person(app), item)
    for _ in range(2):
        voter = new_person(app)
        assert voter.get("/api/v1/languages/hi/clips").status_code == 200
        vote = voter.post(f"/api/v1/recordings/{recording}/votes", json={"verdict": "accept"})
        assert vote.status_code == 201, vote.get_json()
    decided = recording_row(db, recording)
    assert decided["status"] == "accepted"
    for _ in range(3):
        report(app, db, "recording", recording, trusted=True)

    assert cli.run("reports", "remove", "recording", recording, **base_env).returncode == 0
    removed = recording_row(db, recording)
    assert (removed["status"], removed["decided_at"]) == ("removed", decided["decided_at"])

    restored = cli.run("reports", "restore", "recording", recording, **base_env)

    assert restored.returncode == 0, restored.stderr
    assert "3 reports dismissed, back in the queues (accepted)" in restored.stdout
    row = recording_row(db, recording)
    assert (row["status"], row["report_count"]) == ("accepted", 0)
    assert reports_of(db, "contribution_id", row["id"]) == ["dismissed"] * 3


def test_a_reported_sentence_is_removed_or_restored(app, db, cli: CLI, base_env) -> None:
    kept, dropped = add_sentences(db, 2)
    for item in (kept, dropped):
        for _ in range(3):
            report(app, db, "sentence", item, trusted=True, reason="grammar_or_spelling")
    assert served_sentences(app) == []
    listed = cli.run("reports", "list", **base_env).stdout
    assert f"sentence   {kept} " in listed and f"sentence   {dropped} " in listed

    removed = cli.run("reports", "remove", "sentence", str(dropped), **base_env)
    restored = cli.run("reports", "restore", "sentence", str(kept), **base_env)

    assert removed.returncode == 0 and restored.returncode == 0, removed.stderr + restored.stderr
    assert f"removed sentence {dropped} (hi): 3 reports resolved" in removed.stdout
    assert f"restored sentence {kept} (hi): 3 reports dismissed" in restored.stdout
    rows = {
        row["id"]: (row["is_active"], row["report_count"])
        for row in db.execute("SELECT id, is_active, report_count FROM dataset_rows").fetchall()
    }
    assert rows[kept] == (True, 0) and rows[dropped] == (False, 3)
    assert served_sentences(app) == [kept]
    assert reports_of(db, "item_id", dropped) == ["resolved"] * 3

    # An operator's mistake is undone by a restore.
    assert cli.run("reports", "restore", "sentence", str(dropped), **base_env).returncode == 0
    assert sorted(served_sentences(app)) == sorted([kept, dropped])
    assert reports_of(db, "item_id", dropped) == ["dismissed"] * 3


def test_reports_without_a_track_record_are_listed_only_with_all(
    app, db, cli: CLI, base_env
) -> None:
    (item,) = add_sentences(db, 1)
    recording = record(new_person(app), item)
    report(app, db, "recording", recording, trusted=False, reason="other",
           note="bad \x1b[31mclip\u202e")  # fmt: skip
    report(app, db, "recording", recording, trusted=False)

    assert cli.run("reports", "list", **base_env).stdout.strip() == "nothing waiting for review"
    listed = cli.run("reports", "list", "--all", **base_env)
    assert listed.returncode == 0, listed.stderr
    (line,) = [row for row in listed.stdout.splitlines() if recording in row]
    assert line.split()[3:7] == ["shown", "2", "0", "1"]
    as_json = json.loads(cli.run("reports", "list", "--all", "--json", **base_env).stdout)

    assert as_json["reports_to_hide"] == 3
    (entry,) = as_json["items"]
    assert entry["id"] == recording and entry["hidden"] is False
    assert (entry["open_reports"], entry["counted_reports"]) == (2, 0)
    assert entry["reasons"] == {"other": 1, "poor_audio": 1}
    assert entry["notes"] == ["bad \ufffd[31mclip\ufffd"]  # no escape reaches the terminal
    assert recording in served_clips(app)


def test_unknown_ids_are_refused_with_one_line_and_change_nothing(db, cli: CLI, base_env) -> None:
    unknown = "3f1e9c2a-0000-4000-8000-000000000000"
    cases = [
        (("restore", "recording", unknown), f"no recording with id {unknown}"),
        (("remove", "recording", "not-a-uuid"), "no recording with id 'not-a-uuid'"),
        (("remove", "sentence", "999999"), "no sentence with id 999999"),
        (("restore", "sentence", "12a"), "no sentence with id '12a'"),
    ]
    for args, message in cases:
        assert_one_clear_line(cli.run("reports", *args, **base_env), message)
    bad_target = cli.run("reports", "remove", "profile", "1", **base_env)
    assert bad_target.returncode == 2 and "Invalid value" in bad_target.stderr
    assert db.execute("SELECT count(*) AS n FROM reports").fetchone()["n"] == 0


def test_the_queue_in_the_domain_counts_reasons_and_notes(app, db) -> None:
    (item,) = add_sentences(db, 1)
    recording = hide_recording(app, db, item)
    report(app, db, "sentence", item, trusted=False, reason="other", note="typo")

    with app.extensions["crowdsource.db"].connection() as conn:
        hidden = review_queue(conn, 3)
        everything = review_queue(conn, 3, include_uncounted=True, with_notes=True)
        again = restore(conn, "recording", recording)
        twice = restore(conn, "recording", recording)
        gone = remove(conn, "sentence", item, 2)

    assert [(row["target"], row["id"], row["hidden"]) for row in hidden] == [
        ("recording", recording, True)
    ]
    assert [(row["target"], row["hidden"], row["notes"]) for row in everything] == [
        ("recording", True, 0),
        ("sentence", False, 1),
    ]
    assert everything[1]["notes_text"] == ["typo"]
    assert (again.changed, again.reports_closed, twice.changed) == (True, 3, False)
    assert (gone.status, gone.reports_closed) == ("inactive", 1)


def test_a_restored_recording_with_an_operators_answer_gets_that_verdict_back(
    app, db, cli: CLI, base_env
) -> None:
    (item,) = add_sentences(db, 1)
    recording = record(new_person(app), item)
    assert cli.run("known-answers", "mark", recording, "accept", **base_env).returncode == 0
    assert cli.run("reports", "remove", "recording", recording, **base_env).returncode == 0

    restored = cli.run("reports", "restore", "recording", recording, **base_env)

    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.strip().endswith("back in the queues (accepted)")
    row = recording_row(db, recording)
    assert (row["status"], row["known_answer"]) == ("accepted", "accept")
    assert row["decided_at"] is not None


def test_a_removed_recording_is_left_out_of_the_export(
    app, db, cli: CLI, base_env, settings, tmp_path
) -> None:
    items = add_sentences(db, 2)
    removed, kept = (record(new_person(app), item) for item in items)
    for _ in range(3):
        report(app, db, "recording", removed, trusted=True)
    assert cli.run("reports", "remove", "recording", removed, **base_env).returncode == 0
    out = tmp_path / "export"

    exported = cli.run("export", "--language", "hi", "--out", str(out), **base_env,
                       STORAGE_BACKEND="local", STORAGE_DIR=str(settings.storage_dir))  # fmt: skip

    assert exported.returncode == 0, exported.stderr
    everything = "".join(path.read_text() for path in out.glob("*.tsv"))
    assert kept in everything and removed not in everything


def test_a_reported_label_and_image_are_reviewed_with_their_own_targets(
    app, db, cli: CLI, base_env
) -> None:
    """Issue #18: a typed answer is reviewed as a 'contribution' (its text shown), a clip, image
    or prompt as an 'item'; a restored answer is recounted with its task's number of votes."""
    set_task(db, LABEL, "hi", votes_to_decide=1)
    image, other = add_items(db, "image", 2)
    label = answer(new_person(app), "label", image, HINDI).get_json()["contribution"]["id"]
    for reason in ("unreadable", "unreadable", "wrong_script"):
        report(app, db, "contribution", label, trusted=True, reason=reason)
        report(app, db, "item", other, trusted=True, reason=reason)

    listed = cli.run("reports", "list", **base_env)
    assert listed.returncode == 0, listed.stderr
    lines = {row.split()[0]: row for row in listed.stdout.splitlines()[1:-1]}
    assert lines["contribution"].split()[1:4] == [label, "hi", "hidden"]
    assert lines["contribution"].endswith(HINDI)
    assert lines["item"].split()[1:4] == [str(other), "hi", "hidden"]
    assert cli.run("reports", "remove", "recording", label, **base_env).returncode != 0

    removed = cli.run("reports", "remove", "contribution", label, **base_env)
    assert removed.returncode == 0, removed.stderr
    assert "3 reports resolved, out of the queues for good (removed)" in removed.stdout
    assert cli.run("reports", "remove", "item", str(other), **base_env).returncode == 0
    assert db.execute("SELECT is_active FROM dataset_rows WHERE id = %s", (other,)).fetchone() == {
        "is_active": False
    }
    checker = new_person(app)
    assert error_of(vote(checker, label, "accept")) == (409, "recording_removed")

    db.execute(
        "INSERT INTO validations (contribution_id, validator_id, verdict)"
        " SELECT c.id, p.id, 'accept' FROM contributions c, contributors p"
        " WHERE c.public_id = %s AND p.id <> c.contributor_id LIMIT 1",
        (label,),
    )
    restored = cli.run("reports", "restore", "contribution", label, **base_env)
    assert restored.returncode == 0, restored.stderr
    assert "back in the queues (accepted)" in restored.stdout  # one vote decides label in hi
