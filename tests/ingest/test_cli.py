"""`crowdsource ingest ...` run as an operator runs it: a subprocess with its own environment."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import CLI, SAMPLE_AUDIO, TEST_SECRET
from tests.ingest.conftest import ENGLISH, HINDI, PARALLEL, count, write
from tests.ingest.pictures import GPS_IFD, camera_exif, encoded, picture, png_claiming, reopened


def env(database_url: str, **more: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, **more}


def tail(output: str, lines: int) -> list[str]:
    return [line.split() for line in output.strip().splitlines()[-lines:]]


def test_ingest_sentences_ends_with_the_counts_and_the_reasons_below(
    cli: CLI, database_url: str, db, tmp_path: Path
) -> None:
    refused = tmp_path / "refused.tsv"

    first = cli.run("ingest", "sentences", str(HINDI), "--language", "hi", **env(database_url))
    english = cli.run(
        "ingest", "sentences", str(ENGLISH), "-l", "en", "--refused-out", str(refused),
        **env(database_url),
    )  # fmt: skip
    again = cli.run("ingest", "sentences", str(HINDI), "--language", "hi", **env(database_url))

    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "batch 1: hindi.txt (sentence, hi)"
    assert tail(first.stdout, 2) == [
        ["124", "added,", "1", "refused"],
        ["too_long", "1", "more", "words", "than", "the", "maximum"],
    ]
    assert tail(english.stdout, 4) == [
        ["74", "added,", "29", "refused"],
        ["too_long", "17", "more", "words", "than", "the", "maximum"],
        ["has_digits", "10", "contains", "digits"],
        ["duplicate_in_file", "2", "appears", "earlier", "in", "the", "file"],
    ]
    lines = refused.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 29 and lines[0] == "where\tlanguage\treason\ttext"
    assert (
        "7\ten\thas_digits\t433 e-Hospitals have been established under Digital India initiative"
        in lines
    )
    assert tail(again.stdout, 3) == [
        ["0", "added,", "125", "refused"],
        ["already_present", "124", "already", "in", "the", "database"],
        ["too_long", "1", "more", "words", "than", "the", "maximum"],
    ]
    assert count(db, "dataset_rows") == 124 + 74


def test_dry_run_prints_the_report_and_writes_nothing(cli: CLI, database_url: str, db) -> None:
    result = cli.run("ingest", "sentences", str(PARALLEL), "--dry-run", **env(database_url))

    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.splitlines()[0] == "dry run of parallel_6_languages.csv: nothing was written"
    )
    # Tamil's short record 3 is refused with its row (issue #16: rows stay whole).
    assert "  ta: 0 added, 3 refused" in result.stdout.splitlines()
    assert tail(result.stdout, 4)[0] == ["0", "added,", "18", "refused"]
    assert count(db, "dataset_rows") == count(db, "ingest_batches") == 0


def test_rules_and_blocklist_are_options(cli: CLI, database_url: str, tmp_path: Path) -> None:
    blocklist = write(tmp_path / "blocked.txt", "# offensive words\nconference\n")

    result = cli.run(
        "ingest", "sentences", str(PARALLEL), "--max-words", "60", "--allow-digits",
        "--blocklist", str(blocklist), **env(database_url),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    # The record with the blocked word is refused whole (issue #16; it used to be 17 added).
    assert tail(result.stdout, 3) == [
        ["12", "added,", "6", "refused"],
        ["row_refused", "5", "another", "cell", "of", "its", "parallel", "row", "was", "refused"],
        ["blocked_word", "1", "contains", "a", "blocked", "word"],
    ]


def test_batches_can_be_listed_retired_and_activated(cli: CLI, database_url: str, db) -> None:
    cli.run("ingest", "sentences", str(HINDI), "-l", "hi", **env(database_url))

    listing = cli.run("ingest", "batches", **env(database_url))
    retired = cli.run("ingest", "retire", "1", "--yes", **env(database_url))
    active_after_retire = db.execute("SELECT count(*) AS n FROM dataset_rows WHERE is_active")
    n_retired = active_after_retire.fetchone()["n"]
    activated = cli.run("ingest", "activate", "1", **env(database_url))

    assert listing.stdout.splitlines()[1].split()[:6] == ["1", "sentence", "hi", "124", "1", "yes"]
    assert retired.stdout.strip() == "batch 1 retired: 124 items out of the queues"
    assert n_retired == 0
    assert activated.stdout.strip() == "batch 1 active: 124 items back in the queues"
    unknown = cli.run("ingest", "retire", "7", "--yes", **env(database_url))
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "crowdsource: error: there is no ingest batch 7"


def test_ingest_media_copies_clips_into_the_storage_folder(
    cli: CLI, database_url: str, db, tmp_path: Path
) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    for n in (1, 2):
        shutil.copy(SAMPLE_AUDIO / f"en_{n}.wav", folder)
    write(folder / "en_1.txt", "I have deep respect for entrepreneurs")
    write(folder / "en_2.txt", "A healthier lifestyle is what matters")
    storage = tmp_path / "storage"

    result = cli.run(
        "ingest", "media", str(folder), "--language", "en", "--kind", "audio",
        **env(database_url, STORAGE_DIR=str(storage)),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert tail(result.stdout, 1) == [["2", "added,", "0", "refused"]]
    keys = [r["media_key"] for r in db.execute("SELECT media_key FROM dataset_rows").fetchall()]
    assert len(keys) == 2 and all((storage / key).is_file() for key in keys)


def test_ingest_media_keeps_images_without_metadata_and_says_why_others_are_refused(
    cli: CLI, database_url: str, db, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    png = encoded(picture((40, 20)), "PNG")
    pictures = {
        "sign.png": png,
        "street.jpg": encoded(picture((64, 48)), "JPEG", exif=camera_exif()),
        "board.webp": encoded(picture((30, 10)), "WEBP"),
        "anim.gif": encoded(picture(), "GIF"),
        "torn.png": png[:-30],
        "bomb.png": png_claiming(100_000, 100_000),
    }
    for name, data in pictures.items():
        write(folder / name, data)
        write(folder / f"{name.split('.')[0]}.txt", "Text in the picture")
    storage = tmp_path / "storage"

    result = cli.run(
        "ingest", "media", str(folder), "--language", "en", "--kind", "image",
        **env(database_url, STORAGE_DIR=str(storage)),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    summary, *reasons = result.stdout.strip().splitlines()[-4:]
    assert summary == "3 added, 3 refused"
    assert sorted(" ".join(line.split()) for line in reasons) == [
        "corrupt_image 1 image truncated or damaged: it does not decode",
        "too_many_pixels 1 image with more pixels than the limit (a decompression bomb?)",
        "unsupported_image_format 1 an image, but not JPEG, PNG or WebP (GIF, BMP, TIFF...)",
    ]
    stored = db.execute(
        "SELECT source, media_key, media_measures FROM dataset_rows ORDER BY source"
    ).fetchall()
    assert [(r["source"], r["media_measures"]) for r in stored] == [
        ("images:board.webp", {"width": 30, "height": 10, "format": "webp"}),
        ("images:sign.png", {"width": 40, "height": 20, "format": "png"}),
        ("images:street.jpg", {"width": 64, "height": 48, "format": "jpeg"}),
    ]
    street = (storage / stored[2]["media_key"]).read_bytes()
    assert not reopened(street).getexif().get_ifd(GPS_IFD) and b"Exif" not in street


def test_mistakes_are_one_clear_line(cli: CLI, database_url: str, tmp_path: Path) -> None:
    no_language = cli.run("ingest", "sentences", str(HINDI), **env(database_url))
    bad_csv = write(tmp_path / "bad.csv", "Hindi,Elvish\nएक,two\n")
    unknown_column = cli.run("ingest", "sentences", str(bad_csv), **env(database_url))

    for result, fragment in [(no_language, "needs --language"), (unknown_column, "'Elvish'")]:
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("crowdsource: error: ")
        assert fragment in lines[0]
