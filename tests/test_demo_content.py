"""The demo of the embedded default (app/sentences/demo.py): sentences, clips, images and
parallel sentences, loaded once through the ingest, each set as its own batch."""

from __future__ import annotations

import fnmatch
import io
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import psycopg
import pytest
from PIL import Image
from psycopg.rows import dict_row

from app.audio import analyse_recording
from app.ingest.batches import set_batch_active
from app.sentences.demo import (
    DemoItems,
    demo_batches,
    demo_sentences,
    load_demo_items,
    load_demo_sentences_if_empty,
)
from app.storage import make_storage
from tests.conftest import PROJECT_ROOT

DEMO = PROJECT_ROOT / "app" / "sentences" / "demo"
PARALLEL_LANGUAGES = ("bn", "en", "hi", "ta")


@pytest.fixture
def storage(settings):
    return make_storage(settings)


@pytest.fixture
def connect(database_url: str) -> Iterator[Any]:
    """Connections as `crowdsource serve` uses them: one transaction, committed at the end."""

    def opened() -> psycopg.Connection[Any]:
        return psycopg.connect(database_url, row_factory=dict_row)

    yield opened


def load_everything(connect, storage) -> tuple[int, DemoItems]:
    with connect() as conn:
        return load_demo_sentences_if_empty(conn), load_demo_items(conn, storage)


def counts(db) -> dict[tuple[str, str], int]:
    rows = db.execute(
        "SELECT kind, language_code, count(*) AS n FROM dataset_rows GROUP BY 1, 2"
    ).fetchall()
    return {(r["kind"], r["language_code"]): r["n"] for r in rows}


def test_a_fresh_database_gets_every_kind_of_demo_item_once(db, connect, storage) -> None:
    sentences, items = load_everything(connect, storage)

    languages = sorted(demo_sentences())
    assert sentences == sum(len(texts) for texts in demo_sentences().values())
    assert [r.refused_count for r in items.reports] == [0] * len(items.reports)
    sentence_rows = {
        code: len(demo_sentences()[code]) + (12 if code in PARALLEL_LANGUAGES else 0)
        for code in languages
    }
    prompts = {  # into each parallel language, from every sentence of the other three
        code: sum(sentence_rows[source] for source in PARALLEL_LANGUAGES if source != code)
        for code in PARALLEL_LANGUAGES
    }
    assert items.prompts == sum(prompts.values())
    assert items.describe() == (
        f"loaded the demo items: 48 parallel, {4 * len(languages)} audio, "
        f"{4 * len(languages)} image; {items.prompts} prompts to translate; "
        "opened translate in en hi ta bn, transcribe in bn en hi mr ta, label in bn en hi mr ta"
    )
    expected = {("prompt", code): n for code, n in prompts.items()}
    for code in languages:
        expected |= {
            ("sentence", code): sentence_rows[code],
            ("audio", code): 4,
            ("image", code): 4,
        }
    assert counts(db) == expected
    assert db.execute("SELECT count(*) AS n FROM parallel_rows").fetchone()["n"] == 12
    batches = db.execute(
        "SELECT source FROM ingest_batches WHERE kind <> 'prompt' ORDER BY id"
    ).fetchall()
    assert [r["source"] for r in batches] == [b.name for b in demo_batches()]
    media = db.execute("SELECT media_key FROM dataset_rows WHERE media_key IS NOT NULL")
    assert sorted(storage.list("media/")) == sorted(r["media_key"] for r in media.fetchall())


def test_each_task_is_open_where_the_demo_has_items_for_it(db, connect, storage) -> None:
    load_everything(connect, storage)

    open_tasks = db.execute(
        "SELECT task, language_code FROM language_tasks WHERE is_open ORDER BY 1, 2"
    ).fetchall()
    languages = sorted(demo_sentences())
    assert [(r["task"], r["language_code"]) for r in open_tasks] == sorted(
        [("label", code) for code in languages]
        + [("transcribe", code) for code in languages]
        + [("translate", code) for code in PARALLEL_LANGUAGES]
    )
    # A prompt from a parallel sentence carries its translation, for the pre-check.
    reference = db.execute(
        """SELECT p.text FROM dataset_rows p JOIN dataset_rows s ON s.id = p.source_item_id
            WHERE p.kind = 'prompt' AND p.language_code = 'hi'
              AND s.text = 'Where is the nearest bus stop?'"""
    ).fetchone()
    assert reference["text"] == "सबसे नज़दीकी बस स्टॉप कहाँ है?"


def test_a_restart_loads_nothing_twice(db, connect, storage) -> None:
    load_everything(connect, storage)
    before = counts(db)

    batches = db.execute("SELECT count(*) AS n FROM ingest_batches").fetchone()["n"]

    sentences, items = load_everything(connect, storage)

    assert (sentences, items) == (0, DemoItems())
    assert counts(db) == before
    assert db.execute("SELECT count(*) AS n FROM ingest_batches").fetchone()["n"] == batches


def test_a_retired_demo_batch_stays_retired_and_a_missing_one_is_loaded(
    db, connect, storage
) -> None:
    load_everything(connect, storage)
    hindi_clips = db.execute(
        "SELECT id FROM ingest_batches WHERE source = 'demo-clips-hi'"
    ).fetchone()["id"]
    set_batch_active(db, hindi_clips, active=False)
    db.execute(
        "DELETE FROM dataset_rows WHERE batch_id = "
        "(SELECT id FROM ingest_batches WHERE source = 'demo-images-ta')"
    )
    db.execute("DELETE FROM ingest_batches WHERE source = 'demo-images-ta'")

    _, items = load_everything(connect, storage)

    assert [(r.source, r.added_count) for r in items.reports] == [("demo-images-ta", 4)]
    assert (items.prompts, items.opened) == (0, [("label", "ta")])
    retired = db.execute("SELECT count(*) AS n FROM dataset_rows WHERE NOT is_active").fetchone()
    assert retired["n"] == 4


def test_a_database_with_its_own_items_gets_no_demo_items(db, connect, storage) -> None:
    db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text, source)"
        " VALUES ('hi', 'sentence', 'हमारा अपना वाक्य', 'ours.txt:1')"
    )

    sentences, items = load_everything(connect, storage)

    assert (sentences, items) == (0, DemoItems())
    assert counts(db) == {("sentence", "hi"): 1}


def test_the_demo_clips_decode_and_are_measured(db, connect, storage) -> None:
    load_everything(connect, storage)

    clips = db.execute("SELECT * FROM dataset_rows WHERE kind = 'audio'").fetchall()
    assert clips
    for clip in clips:
        data = storage.get(clip["media_key"])
        report = analyse_recording(data)  # decoded, and speech found in it
        assert (report.codec, report.channels) == ("opus", 1)
        assert clip["media_duration_ms"] == report.duration_ms and report.duration_ms > 1000
        with av.open(io.BytesIO(data)) as container:
            assert sum(frame.samples for frame in container.decode(audio=0)) > 0
        language = clip["language_code"]
        assert clip["text"] in demo_sentences()[language]
        assert clip["source"].startswith(f"demo-clips-{language}:")


def test_the_demo_images_decode_and_are_measured(db, connect, storage) -> None:
    load_everything(connect, storage)

    images = db.execute("SELECT * FROM dataset_rows WHERE kind = 'image'").fetchall()
    assert images
    for row in images:
        with Image.open(io.BytesIO(storage.get(row["media_key"]))) as image:
            image.load()
            assert row["media_measures"] == {
                "width": image.width,
                "height": image.height,
                "format": "png",
            }
            assert image.width > 300 and image.height > 100
        assert row["text"] in demo_sentences()[row["language_code"]]


def test_the_shipped_files_are_the_ones_the_script_makes_and_are_small() -> None:
    files = [p for p in DEMO.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 1_000_000
    for folder, suffix in (("clips", ".ogg"), ("images", ".png")):
        for media in (DEMO / folder).rglob(f"*{suffix}"):
            assert media.with_suffix(".txt").read_text(encoding="utf-8").strip()
    if shutil.which("espeak-ng") is None or not Path("/usr/share/fonts/truetype/noto").is_dir():
        pytest.skip("espeak-ng or the Noto fonts are not installed here")
    check = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "make_demo_content.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_demo_file_ships_with_the_package() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["app"]
    needed = [
        p.relative_to(PROJECT_ROOT / "app").as_posix()
        for p in DEMO.rglob("*")
        if p.is_file() and p.name != "README.md"
    ]
    # setuptools globs: '*' stays inside one folder, as fnmatch's does not; compare by depth.
    unshipped = [
        path
        for path in needed
        if not any(
            fnmatch.fnmatch(path, pattern) and path.count("/") == pattern.count("/")
            for pattern in patterns
        )
    ]
    assert unshipped == []
