"""Ingesting audio with transcripts and images with reference text, from folders, archives and
manifests: objects in storage under our keys, durations measured, unsafe paths refused."""

from __future__ import annotations

import csv
import io
import shutil
import tarfile
import wave
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from app.audio import analyse_recording
from app.ingest.media import IngestFailed, ingest_media
from app.ingest.media_sources import BadMediaSource, is_safe_name
from app.storage import make_storage
from tests.conftest import SAMPLE_AUDIO
from tests.ingest.conftest import count, rows, write
from tests.ingest.pictures import camera_exif, encoded, picture, png_claiming, reopened


def transcripts() -> dict[str, tuple[str, str]]:
    """file -> (language, sentence) from the sample clips' own manifest."""
    with (SAMPLE_AUDIO / "clips.tsv").open(encoding="utf-8", newline="") as file:
        return {
            r["file"]: (r["language"], r["sentence"]) for r in csv.DictReader(file, delimiter="\t")
        }


@pytest.fixture
def hindi_clips(tmp_path: Path) -> Path:
    """A folder of hi_1.wav ... hi_4.wav, each with its transcript hi_N.txt."""
    folder = tmp_path / "clips"
    for name, (language, sentence) in transcripts().items():
        if language == "hi":
            write(folder / name, (SAMPLE_AUDIO / name).read_bytes())
            write(folder / name.replace(".wav", ".txt"), sentence + "\n")
    return folder


@pytest.fixture
def storage(settings):
    return make_storage(settings)


def stored_objects(storage) -> list[str]:
    return list(storage.list("media/"))


def test_a_folder_of_clips_and_transcripts_becomes_audio_items_in_storage(
    db, storage, hindi_clips: Path
) -> None:
    report = ingest_media(db, storage, hindi_clips, language="hi", kind="audio")

    assert (report.added_count, report.refused_count) == (4, 0)
    items = rows(db)
    assert [r["source"] for r in items] == [f"clips:hi_{n}.wav" for n in range(1, 5)]
    for item in items:
        name = item["source"].split(":")[1]
        original = (SAMPLE_AUDIO / name).read_bytes()
        assert (item["kind"], item["language_code"], item["batch_id"]) == (
            "audio",
            "hi",
            report.batch_id,
        )
        assert item["text"] == transcripts()[name][1]
        assert item["media_key"].startswith("media/audio/hi/") and item["media_key"].endswith(
            ".wav"
        )
        assert storage.get(item["media_key"]) == original  # the very bytes, under our key
        assert item["media_duration_ms"] == analyse_recording(original).duration_ms > 1000
    assert sorted(stored_objects(storage)) == sorted(r["media_key"] for r in items)


def test_running_again_adds_nothing_and_stores_nothing_twice(
    db, storage, hindi_clips: Path
) -> None:
    ingest_media(db, storage, hindi_clips, language="hi", kind="audio")

    again = ingest_media(db, storage, hindi_clips, language="hi", kind="audio")

    assert again.refused == Counter({"already_present": 4}) and again.added_count == 0
    assert count(db, "dataset_rows") == 4 and len(stored_objects(storage)) == 4


def test_a_dry_run_measures_everything_and_writes_nothing(db, storage, hindi_clips: Path) -> None:
    report = ingest_media(db, storage, hindi_clips, language="hi", kind="audio", dry_run=True)

    assert (report.added_count, report.batch_id) == (4, None)
    assert count(db, "dataset_rows") == count(db, "ingest_batches") == 0
    assert stored_objects(storage) == []


def test_zip_and_tar_archives_are_read_and_paths_leaving_them_are_refused(
    db, storage, hindi_clips: Path, tmp_path: Path
) -> None:
    zipped = tmp_path / "clips.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in sorted(hindi_clips.iterdir()):
            archive.write(path, f"batch/{path.name}")
        archive.writestr("../evil.wav", (SAMPLE_AUDIO / "en_1.wav").read_bytes())
        archive.writestr("../evil.txt", "I have deep respect")
        archive.writestr("/etc/absolute.wav", b"RIFF")
    tarred = tmp_path / "clips.tar.gz"
    with tarfile.open(tarred, "w:gz") as archive:
        archive.add(hindi_clips / "hi_1.wav", "hi_1.wav")
        archive.add(hindi_clips / "hi_1.txt", "hi_1.txt")
        evil = (SAMPLE_AUDIO / "en_2.wav").read_bytes()
        member = tarfile.TarInfo("sub/../../evil.wav")
        member.size = len(evil)
        archive.addfile(member, io.BytesIO(evil))
        link = tarfile.TarInfo("passwd.wav")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)

    from_zip = ingest_media(db, storage, zipped, language="hi", kind="audio")
    from_tar = ingest_media(db, storage, tarred, language="hi", kind="audio")

    assert from_zip.added_count == 4 and from_zip.refused == Counter({"unsafe_path": 3})
    assert from_tar.refused == Counter({"unsafe_path": 2, "already_present": 1})
    assert not (tmp_path.parent / "evil.wav").exists()
    assert rows(db)[0]["source"] == "clips.zip:batch/hi_1.wav"


def test_a_manifest_names_files_beside_it_and_may_pick_a_language(
    db, storage, tmp_path: Path
) -> None:
    # The sample clips' own clips.tsv is a manifest: file, language, sentence.
    english = ingest_media(db, storage, SAMPLE_AUDIO / "clips.tsv", language="en", kind="audio")
    outside = write(tmp_path / "outside.wav", (SAMPLE_AUDIO / "hi_1.wav").read_bytes())
    manifest = write(
        tmp_path / "inner" / "manifest.csv",
        f"file,text\n../outside.wav,बाहर\n{outside},बाहर\nmissing.wav,कुछ नहीं\n",
    )
    shutil.copy(SAMPLE_AUDIO / "hi_2.wav", tmp_path / "inner" / "two.wav")
    with manifest.open("a", encoding="utf-8") as file:
        file.write('two.wav,"यहाँ कई प्राचीन एवं\nमध्यकालीन इमारतें"\n')

    hindi = ingest_media(db, storage, manifest, language="hi", kind="audio")

    assert english.added_count == 4 and english.refused == Counter({"other_language": 4})
    assert hindi.added_count == 1
    assert hindi.refused == Counter({"unsafe_path": 2, "missing_file": 1})
    assert rows(db, "language_code = 'hi'")[0]["text"] == "यहाँ कई प्राचीन एवं मध्यकालीन इमारतें"


def test_items_that_cannot_be_used_are_refused_with_their_reason(
    db, storage, hindi_clips: Path
) -> None:
    (hindi_clips / "hi_4.txt").unlink()  # a clip without its transcript
    write(hindi_clips / "orphan.txt", "बस पाठ")
    write(hindi_clips / "README.md", "about these clips")
    write(hindi_clips / ".DS_Store", b"\0")  # hidden: skipped without a word
    write(hindi_clips / "notes.wav", "not audio at all")
    write(hindi_clips / "notes.txt", "कुछ भी")
    write(hindi_clips / "blip.wav", short_wav(0.3))
    write(hindi_clips / "blip.txt", "छोटा")
    write(hindi_clips / "hi_3.txt", "Latin letters in a Hindi transcript")
    (hindi_clips / "link.wav").symlink_to("/etc/passwd")  # links may point anywhere

    report = ingest_media(db, storage, hindi_clips, language="hi", kind="audio")

    assert report.added_count == 2
    assert report.refused == Counter(
        {
            "no_text": 1,
            "no_media": 1,
            "unsupported_file": 1,
            "not_audio": 1,
            "audio_too_short": 1,
            "bad_text": 1,
            "unsafe_path": 1,
        }
    )


def test_images_are_measured_stored_without_metadata_or_refused_with_their_reason(
    db, storage, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    png = encoded(picture((40, 20)), "PNG")
    write(folder / "cat.png", png)
    write(folder / "cat.txt", "A cat on a wall")
    photo = encoded(picture((60, 30)), "JPEG", exif=camera_exif(orientation=6))
    write(folder / "dog.jpeg", photo)
    write(folder / "dog.txt", "A dog in the rain")
    write(folder / "sign.webp", encoded(picture((30, 10)), "WEBP"))
    write(folder / "sign.txt", "Stop")
    write(folder / "gif.png", encoded(picture(), "GIF"))  # the name does not make it a PNG
    write(folder / "gif.txt", "Moving")
    write(folder / "half.png", png[: len(png) // 2])
    write(folder / "half.txt", "Half")
    write(folder / "bomb.png", png_claiming(100_000, 100_000))
    write(folder / "bomb.txt", "Boom")
    write(folder / "fake.webp", "text, not an image")
    write(folder / "fake.txt", "Nothing")

    report = ingest_media(db, storage, folder, language="en", kind="image")

    assert report.added_count == 3
    assert report.refused == Counter(
        {"unsupported_image_format": 1, "corrupt_image": 1, "too_many_pixels": 1, "not_image": 1}
    )
    items = {r["text"]: r for r in rows(db)}
    assert {text: r["media_measures"] for text, r in items.items()} == {
        "A cat on a wall": {"width": 40, "height": 20, "format": "png"},
        "A dog in the rain": {"width": 30, "height": 60, "format": "jpeg"},  # turned upright
        "Stop": {"width": 30, "height": 10, "format": "webp"},
    }
    assert all(r["media_duration_ms"] is None and r["kind"] == "image" for r in items.values())
    cat, dog = items["A cat on a wall"]["media_key"], items["A dog in the rain"]["media_key"]
    assert cat.endswith(".png") and dog.endswith(".jpg")
    assert items["Stop"]["media_key"].endswith(".webp")
    assert storage.open(cat).content_type == "image/png"
    stored_photo = storage.get(dog)
    assert storage.open(dog).content_type == "image/jpeg" and stored_photo != photo
    assert dict(reopened(stored_photo).getexif()) == {} and b"Exif" not in stored_photo
    assert reopened(stored_photo).size == (30, 60)
    assert sorted(stored_objects(storage)) == sorted(r["media_key"] for r in items.values())


def test_images_run_again_are_found_by_the_bytes_received(db, storage, tmp_path: Path) -> None:
    folder = tmp_path / "images"
    write(folder / "dog.jpg", encoded(picture(), "JPEG", exif=camera_exif()))
    write(folder / "dog.txt", "A dog in the rain")
    ingest_media(db, storage, folder, language="en", kind="image")

    again = ingest_media(db, storage, folder, language="en", kind="image")

    assert again.refused == Counter({"already_present": 1}) and again.added_count == 0
    assert count(db, "dataset_rows") == 1 and len(stored_objects(storage)) == 1


def test_a_database_failure_removes_the_objects_the_run_wrote(
    db, storage, hindi_clips: Path
) -> None:
    db.execute("ALTER TABLE dataset_rows ADD CONSTRAINT no_audio CHECK (kind <> 'audio')")

    with pytest.raises(IngestFailed, match="nothing was written"):
        ingest_media(db, storage, hindi_clips, language="hi", kind="audio")

    assert count(db, "dataset_rows") == count(db, "ingest_batches") == 0
    assert stored_objects(storage) == []


def test_sources_that_are_no_folder_archive_or_manifest_are_refused(
    db, storage, tmp_path: Path
) -> None:
    with pytest.raises(BadMediaSource, match="expected a folder"):
        ingest_media(db, storage, write(tmp_path / "x.mp3", b""), language="hi", kind="audio")
    with pytest.raises(BadMediaSource, match="not a readable zip"):
        ingest_media(db, storage, write(tmp_path / "x.zip", b"PK?"), language="hi", kind="audio")
    with pytest.raises(BadMediaSource, match="'file' and a 'text'"):
        ingest_media(db, storage, write(tmp_path / "m.csv", "a,b\n"), language="hi", kind="audio")


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("a/b.wav", True),
        ("b.wav", True),
        ("../b.wav", False),
        ("a/../../b.wav", False),
        ("..\\b.wav", False),
        ("/b.wav", False),
        ("C:\\b.wav", False),
        ("", False),
    ],
)
def test_safe_names_stay_inside(name: str, safe: bool) -> None:
    assert is_safe_name(name) is safe


def short_wav(seconds: float) -> bytes:
    """A mono 16 kHz WAV of noise, `seconds` long."""
    samples = (np.random.default_rng(1).normal(0, 0.2, int(16000 * seconds)) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(samples.tobytes())
    return out.getvalue()
