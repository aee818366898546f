"""`crowdsource contributors erase` and the erasures `crowdsource restore` applies again,
through the real command against the test database and the app's local storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from flask import Flask

from app.contributors.tombstones import tombstone_key
from app.storage import Storage
from tests.api.conftest import add_sentences  # noqa: F401 (fixture)
from tests.api.test_my_data import world
from tests.conftest import CLI
from tests.test_cli import assert_one_clear_line


def _env(base_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**base_env, "STORAGE_DIR": str(tmp_path / "storage")}  # the app fixture's storage


def _keys(db: psycopg.Connection, who: Any) -> list[str]:
    rows = db.execute("SELECT media_key FROM contributions WHERE contributor_id = %s", (who,))
    return [row["media_key"] for row in rows]


def _present(db: psycopg.Connection, who: Any) -> bool:
    return db.execute("SELECT 1 FROM contributors WHERE id = %s", (who,)).fetchone() is not None


def test_erase_with_yes_removes_the_person_and_says_what_went(
    cli: CLI,
    app: Flask,
    db: psycopg.Connection,
    add_sentences: Any,  # noqa: F811
    base_env: dict[str, str],
    tmp_path: Path,
) -> None:
    w = world(app, db, add_sentences)
    keys = _keys(db, w["who"])
    storage: Storage = app.extensions["crowdsource.storage"]

    done = cli.run("contributors", "erase", str(w["who"]), "--yes", **_env(base_env, tmp_path))

    assert done.returncode == 0, done.stderr
    assert f"erased contributor {w['who']}" in done.stdout
    assert "recordings: 2" in done.stdout and "objects deleted: 2" in done.stdout
    assert "votes anonymised: 1" in done.stdout
    assert not _present(db, w["who"]) and not any(storage.exists(k) for k in keys)
    assert storage.exists(tombstone_key(w["who"]))
    row = db.execute("SELECT requested_by, removed FROM erasures").fetchone()
    assert row["requested_by"] == "operator" and row["removed"]["recordings"] == 2
    # Again: nothing more to do, said so, success.
    again = cli.run("contributors", "erase", str(w["who"]), "--yes", **_env(base_env, tmp_path))
    assert again.returncode == 0 and "erased before" in again.stdout


def test_erase_refuses_a_bad_or_unknown_id_and_an_unconfirmed_run(
    cli: CLI,
    app: Flask,
    db: psycopg.Connection,
    add_sentences: Any,  # noqa: F811
    base_env: dict[str, str],
    tmp_path: Path,
) -> None:
    w = world(app, db, add_sentences)
    env = _env(base_env, tmp_path)

    bad = cli.run("contributors", "erase", "not-an-id", "--yes", **env)
    unknown = cli.run(
        "contributors", "erase", "3f1c9a2e-5b7d-4e8f-9a10-2b3c4d5e6f70", "--yes", **env
    )
    unconfirmed = cli.run("contributors", "erase", str(w["who"]), **env)

    assert bad.returncode == 2 and "not a contributor id" in bad.stderr
    assert unknown.returncode == 1
    assert_one_clear_line(unknown, "no contributor with id")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert (
        _present(db, w["who"])
        and db.execute("SELECT count(*) AS n FROM erasures").fetchone()["n"] == 0
    )


def test_restoring_an_older_backup_erases_again_who_was_erased_since(
    cli: CLI,
    app: Flask,
    db: psycopg.Connection,
    add_sentences: Any,  # noqa: F811
    base_env: dict[str, str],
    tmp_path: Path,
) -> None:
    w = world(app, db, add_sentences)
    env = _env(base_env, tmp_path)
    archive = tmp_path / "before.dump"
    assert cli.run("backup", "--out", str(archive), **env).returncode == 0
    assert w["ana"].delete("/api/v1/me", json={"confirm": "delete my data"}).status_code == 200

    restored = cli.run("restore", str(archive), "--yes", **env)

    assert restored.returncode == 0, restored.stderr
    assert f"erased again: contributor {w['who']}" in restored.stdout
    assert not _present(db, w["who"])
    assert (
        db.execute("SELECT contributor_id FROM erasures").fetchone()["contributor_id"] == w["who"]
    )
    assert db.execute("SELECT count(*) AS n FROM contributions").fetchone()["n"] == 1  # Ben's
