"""`crowdsource feedback list | export`, run as an operator runs it (the installed command on
the test's database), with the feedback sent through the API."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from flask import Flask

from tests.api.conftest import new_person
from tests.conftest import CLI

EXPORT_HEADER = [
    "id", "created_at", "category", "rating", "would_recommend", "would_return", "task",
    "language", "page", "had_session", "message",
]  # fmt: skip


def send_some(app: Flask) -> tuple[int, int]:
    """Two feedback rows: one full, from a session; one minimal, from a visitor without one
    (whose message a spreadsheet would take for a formula)."""
    full = {"rating": 5, "category": "praise", "message": "बहुत अच्छा लगा।\nधन्यवाद",
            "would_recommend": "yes", "would_return": "maybe", "page": "/speak/hi",
            "task": "speak", "language": "hi"}  # fmt: skip
    first = new_person(app).post("/api/v1/feedback", json=full)
    assert first.status_code == 201, first.get_json()
    minimal = {"category": "bug", "message": '=HYPERLINK("x")'}
    second = new_person(app, session=False).post("/api/v1/feedback", json=minimal)
    assert second.status_code == 201, second.get_json()
    return first.get_json()["feedback"]["id"], second.get_json()["feedback"]["id"]


def test_list_shows_the_newest_first_without_who_sent_it(app, db, cli: CLI, base_env) -> None:
    first, second = send_some(app)
    session_id = str(db.execute("SELECT contributor_id FROM feedback WHERE id = %s",
                                (first,)).fetchone()["contributor_id"])  # fmt: skip

    listed = cli.run("feedback", "list", **base_env)

    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == [str(second), str(first)]
    assert lines[1].split()[3:10] == ["bug", "-", "-", "-", "-", "-", "no"]
    assert lines[2].split()[3:10] == ["praise", "5", "yes", "maybe", "speak", "hi", "yes"]
    assert "/speak/hi / बहुत अच्छा लगा।\ufffdधन्यवाद" in lines[2]  # the newline made safe
    assert session_id not in listed.stdout

    one = cli.run("feedback", "list", "--limit", "1", "--json", **base_env)
    assert one.returncode == 0, one.stderr
    (entry,) = json.loads(one.stdout)["feedback"]
    assert entry["id"] == second
    assert (entry["category"], entry["had_session"], entry["rating"]) == ("bug", False, None)


def test_list_says_so_when_there_is_none(cli: CLI, base_env) -> None:
    listed = cli.run("feedback", "list", **base_env)
    assert (listed.returncode, listed.stdout.strip()) == (0, "no feedback yet")


def test_export_writes_every_row_as_csv_without_contributor_ids(
    app, db, cli: CLI, base_env, tmp_path: Path
) -> None:
    first, second = send_some(app)
    out = tmp_path / "feedback.csv"

    exported = cli.run("feedback", "export", str(out), **base_env)

    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"2 feedback rows written to {out}"
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == EXPORT_HEADER
    records = [dict(zip(EXPORT_HEADER, row, strict=True)) for row in rows[1:]]
    assert [r["id"] for r in records] == [str(first), str(second)]
    assert {k: v for k, v in records[0].items() if k not in ("id", "created_at")} == {
        "category": "praise", "rating": "5", "would_recommend": "yes", "would_return": "maybe",
        "task": "speak", "language": "hi", "page": "/speak/hi", "had_session": "yes",
        "message": "बहुत अच्छा लगा।\nधन्यवाद",
    }  # fmt: skip
    assert (records[1]["had_session"], records[1]["rating"]) == ("no", "")
    assert records[1]["message"] == '\'=HYPERLINK("x")'  # not run as a formula
    contributors = db.execute("SELECT contributor_id::text AS id FROM feedback "
                              "WHERE contributor_id IS NOT NULL").fetchall()  # fmt: skip
    assert contributors and all(c["id"] not in out.read_text() for c in contributors)
