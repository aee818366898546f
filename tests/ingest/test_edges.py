"""Ingest edges of issue #16: archives judged by their paths, files in the wrong encoding refused
whole (or decoded with --encoding), parallel rows kept whole and linked, and near-duplicates that
differ only by invisible joiners counted as duplicates (the stored text keeps its joiners)."""

from __future__ import annotations

import io
import threading
import zipfile
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from app.ingest.media import ingest_media
from app.ingest.media_sources import BadMediaSource
from app.ingest.readers import BadSentenceFile
from app.ingest.report import RefusedWriter
from app.ingest.sentences import ingest_sentences
from app.storage import make_storage
from tests.conftest import CLI, SAMPLE_AUDIO, TEST_SECRET
from tests.ingest.conftest import count, rows, write
from tests.ingest.pictures import encoded, picture
from tests.ingest.test_media import transcripts

ZWJ, ZWNJ = "\u200d", "\u200c"


@pytest.fixture
def storage(settings):
    return make_storage(settings)


def env(database_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET}


# --- archives: paths, not mode bits ---------------------------------------------------------


def test_a_zip_written_with_writestr_is_judged_by_its_paths(db, storage, tmp_path: Path) -> None:
    # ZipFile.writestr stores mode 0o600 without a file-type bit: every entry used to be
    # refused as unsafe_path (11 of 11 here). Only the two paths that leave the archive and
    # the entry whose mode says "symlink" are refused now.
    zipped = tmp_path / "writestr.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for name, (language, sentence) in sorted(transcripts().items()):
            if language == "hi":
                archive.writestr(name, (SAMPLE_AUDIO / name).read_bytes())
                archive.writestr(name.replace(".wav", ".txt"), sentence)
        archive.writestr("../evil.wav", (SAMPLE_AUDIO / "en_1.wav").read_bytes())
        archive.writestr("../evil.txt", "I have deep respect")
        link = zipfile.ZipInfo("passwd.wav")
        link.external_attr = 0o120777 << 16  # S_IFLNK: a symbolic link
        archive.writestr(link, "/etc/passwd")

    report = ingest_media(db, storage, zipped, language="hi", kind="audio")

    assert report.added_count == 4
    assert report.refused == Counter({"unsafe_path": 3})
    assert count(db, "dataset_rows") == 4


# --- encodings --------------------------------------------------------------------------------

CP1252_LINES = ["The café opens early", "It’s a fine day", "Plain ASCII words", "Naïve but kind"]


def test_a_cp1252_file_is_refused_whole_with_the_fix(db, tmp_path: Path) -> None:
    # This file used to be half-ingested: the one ASCII line in, three refused, exit 0.
    path = write(tmp_path / "win.txt", "\r\n".join(CP1252_LINES).encode("cp1252"))

    with pytest.raises(BadSentenceFile) as refused:
        ingest_sentences(db, path, language="en")

    assert str(refused.value) == (
        "win.txt: line 1 is not UTF-8; nothing was written. Convert the file with "
        "`iconv -f cp1252 -t utf-8 win.txt > win.txt.utf8` (cp1252 or its real encoding), "
        "or read it as it is with --encoding cp1252"
    )
    assert count(db, "dataset_rows") == count(db, "ingest_batches") == 0


def test_a_bad_byte_far_into_a_file_still_writes_nothing(db, tmp_path: Path) -> None:
    # 30,000 good lines first: more than one COPY chunk is sent before the bad byte is read.
    good = "".join(f"line {_words(i)}\n" for i in range(30_000))
    path = write(tmp_path / "late.txt", good.encode() + "café\n".encode("cp1252"))

    with pytest.raises(BadSentenceFile, match="line 30001 is not UTF-8"):
        ingest_sentences(db, path, language="en")

    assert count(db, "dataset_rows") == count(db, "ingest_batches") == 0


def _words(number: int) -> str:
    """A distinct digit-free phrase for `number` (letters a-j for the digits)."""
    return "".join("abcdefghij"[int(d)] for d in str(number))


def test_encoding_decodes_the_file(db, tmp_path: Path) -> None:
    path = write(tmp_path / "win.txt", "\r\n".join(CP1252_LINES).encode("cp1252"))

    report = ingest_sentences(db, path, language="en", encoding="cp1252")

    assert (report.added_count, report.refused_count) == (4, 0)
    assert [r["text"] for r in rows(db)] == CP1252_LINES
    with pytest.raises(BadSentenceFile, match="unknown encoding 'klingon'"):
        ingest_sentences(db, path, language="en", encoding="klingon")


def test_a_header_in_cp1252_or_a_utf16_file(db, tmp_path: Path) -> None:
    header = write(tmp_path / "h.csv", "Français\nBonjour\n".encode("cp1252"))
    utf16 = write(tmp_path / "u.txt", "Naïve but kind\nIt’s a fine day\n".encode("utf-16"))

    with pytest.raises(BadSentenceFile, match=r"h\.csv: line 1 is not UTF-8"):
        ingest_sentences(db, header)
    with pytest.raises(BadSentenceFile, match=r"u\.txt: line 1 is not UTF-8"):
        ingest_sentences(db, utf16, language="en")
    report = ingest_sentences(db, utf16, language="en", encoding="utf-16")

    assert (report.added_count, report.refused_count) == (2, 0)
    assert [r["text"] for r in rows(db)] == ["Naïve but kind", "It’s a fine day"]


def test_the_command_says_how_to_convert_and_takes_encoding(
    cli: CLI, database_url: str, db, tmp_path: Path
) -> None:
    path = write(tmp_path / "win.csv", b"English\n" + "Naïve but kind\n".encode("cp1252"))

    refused = cli.run("ingest", "sentences", str(path), **env(database_url))
    decoded = cli.run("ingest", "sentences", str(path), "--encoding", "cp1252", **env(database_url))

    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.count("\n") == 1
    assert "line 2 is not UTF-8; nothing was written" in refused.stderr
    assert f"`iconv -f cp1252 -t utf-8 {path.name} > {path.name}.utf8`" in refused.stderr
    assert "--encoding cp1252" in refused.stderr
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout.splitlines()[-1].split() == ["1", "added,", "0", "refused"]
    assert [r["text"] for r in rows(db)] == ["Naïve but kind"]
    assert count(db, "ingest_batches") == 1  # the refused run left no batch behind


def test_a_media_manifest_in_cp1252_is_refused_whole_or_decoded(
    db, storage, tmp_path: Path
) -> None:
    write(tmp_path / "m" / "cafe.png", encoded(picture((4, 4)), "PNG"))
    write(tmp_path / "m" / "plain.png", encoded(picture((5, 4)), "PNG"))
    manifest = write(
        tmp_path / "m" / "images.csv",
        "file,text\nplain.png,A plain picture\ncafe.png,A café at night\n".encode("cp1252"),
    )

    with pytest.raises(BadMediaSource, match="line 3 is not UTF-8; nothing was written"):
        ingest_media(db, storage, manifest, language="en", kind="image")
    assert count(db, "dataset_rows") == count(db, "ingest_batches") == 0

    report = ingest_media(db, storage, manifest, language="en", kind="image", encoding="cp1252")
    assert (report.added_count, report.refused_count) == (2, 0)
    assert sorted(r["text"] for r in rows(db)) == ["A café at night", "A plain picture"]


# --- parallel rows ----------------------------------------------------------------------------

PARALLEL_ROWS = [
    "English,Hindi",
    "I like tea,मुझे चाय पसंद है",  # line 2: added
    "Call me at 5,मुझे पाँच बजे फोन करो",  # line 3: English has a digit, Hindi is fine
    "The river is wide,नदी चौड़ी है",  # line 4: added
    "Good morning,Good morning",  # line 5: Hindi in Latin letters
    "Rain again,बारिश फिर से",  # line 6: added
]


def test_parallel_rows_stay_aligned_and_a_refused_cell_refuses_its_row(db, tmp_path: Path) -> None:
    path = write(tmp_path / "pairs.csv", "\n".join(PARALLEL_ROWS) + "\n")
    refused = io.StringIO()

    report = ingest_sentences(db, path, on_refused=RefusedWriter(refused))

    assert (report.added_count, report.refused_count) == (6, 4)
    assert dict(report.added) == {"en": 3, "hi": 3}
    assert report.refused == Counter({"has_digits": 1, "wrong_script": 1, "row_refused": 2})
    assert refused.getvalue().splitlines()[1:] == [
        "3\ten\thas_digits\tCall me at 5",
        "3\thi\trow_refused\tमुझे पाँच बजे फोन करो",
        "5\ten\trow_refused\tGood morning",
        "5\thi\twrong_script\tGood morning",
    ]
    pairs = db.execute(
        """SELECT p.line, en.text AS en, hi.text AS hi
             FROM parallel_rows p
             JOIN dataset_rows en ON en.parallel_row_id = p.id AND en.language_code = 'en'
             JOIN dataset_rows hi ON hi.parallel_row_id = p.id AND hi.language_code = 'hi'
            ORDER BY p.line"""
    ).fetchall()
    assert [tuple(p.values()) for p in pairs] == [
        (2, "I like tea", "मुझे चाय पसंद है"),
        (4, "The river is wide", "नदी चौड़ी है"),
        (6, "Rain again", "बारिश फिर से"),
    ]
    assert count(db, "parallel_rows") == 3 and count(db, "dataset_rows") == 6
    assert {r["kind"] for r in rows(db)} == {"sentence"}  # recordable like any sentence


def test_a_parallel_row_with_a_cell_already_present_is_refused_whole(db, tmp_path: Path) -> None:
    ingest_sentences(db, write(tmp_path / "en.txt", "The river is wide\n"), language="en")
    path = write(tmp_path / "pairs.csv", "\n".join(PARALLEL_ROWS) + "\n")

    dry = ingest_sentences(db, path, dry_run=True)
    report = ingest_sentences(db, path)
    again = ingest_sentences(db, path)

    expected = Counter({"has_digits": 1, "wrong_script": 1, "already_present": 1, "row_refused": 3})
    assert (dry.added_count, dry.refused) == (4, expected)
    assert (report.added_count, report.refused) == (4, expected)
    assert (again.added_count, again.refused_count) == (0, 10)
    assert again.refused == Counter(
        {"has_digits": 1, "wrong_script": 1, "already_present": 5, "row_refused": 3}
    )
    assert count(db, "parallel_rows") == 2
    assert count(db, "dataset_rows") == 1 + 4
    # The river's Hindi cell did not come in without its English pair.
    assert rows(db, "text = 'नदी चौड़ी है'") == []


# --- invisible joiners and duplicates -------------------------------------------------------


def test_near_duplicates_differing_by_joiners_count_as_one(db, tmp_path: Path) -> None:
    with_zwj = f"क्{ZWJ}ष मा करें"
    plain = "क्ष मा करें"
    with_zwnj = f"क्{ZWNJ}ष मा करें"
    lines = [with_zwj, plain, with_zwnj, "नमस्ते दोस्तों"]
    path = write(tmp_path / "hi.txt", "\n".join(lines) + "\n")

    report = ingest_sentences(db, path, language="hi")

    assert (report.added_count, report.refused_count) == (2, 2)
    assert report.refused == Counter({"duplicate_in_file": 2})
    assert [r["text"] for r in rows(db)] == [with_zwj, "नमस्ते दोस्तों"]  # the joiner kept


def test_near_duplicates_of_stored_sentences_are_already_present(db, tmp_path: Path) -> None:
    # A row stored before this run (e.g. before migration 0008) is compared by the same key.
    db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('ml', 'sentence', %s)",
        (f"അവന്{ZWJ} വന്നു",),
    )
    path = write(tmp_path / "ml.txt", f"അവന് വന്നു\nഅവന്{ZWNJ} വന്നു\nഅവൾ വന്നു\n")

    dry = ingest_sentences(db, path, language="ml", dry_run=True)
    report = ingest_sentences(db, path, language="ml")

    assert dry.refused == Counter({"already_present": 1, "duplicate_in_file": 1})
    assert (report.added_count, report.refused_count) == (1, 2)
    assert report.refused == Counter({"already_present": 1, "duplicate_in_file": 1})
    assert [r["text"] for r in rows(db)] == [f"അവന്{ZWJ} വന്നു", "അവൾ വന്നു"]


def test_runs_into_one_language_take_turns_so_near_duplicates_stay_out(
    db, database_url: str, tmp_path: Path
) -> None:
    first = write(tmp_path / "a.txt", f"क्{ZWJ}ष मा करें\n")
    second = write(tmp_path / "b.txt", "क्ष मा करें\n")
    results: dict[str, object] = {}
    with psycopg.connect(database_url, row_factory=dict_row) as holder:
        # A run inside an open transaction holds the language until that transaction ends.
        held = ingest_sentences(holder, first, language="hi")
        other = threading.Thread(
            target=lambda: results.update(b=_ingest_apart(database_url, second)), daemon=True
        )
        other.start()
        other.join(1.0)
        assert other.is_alive()  # waiting for the first run's transaction
        holder.commit()
    other.join(30)

    assert held.added_count == 1
    assert results["b"] == (0, Counter({"already_present": 1}))
    assert [r["text"] for r in rows(db)] == [f"क्{ZWJ}ष मा करें"]


def _ingest_apart(database_url: str, path: Path) -> tuple[int, Counter[str]]:
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as conn:
        report = ingest_sentences(conn, path, language="hi")
    return report.added_count, report.refused
