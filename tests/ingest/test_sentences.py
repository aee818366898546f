"""Ingesting the sample sentence files: exact counts, reasons, re-runs, dry runs, failures.

The expected numbers come from reading the files (see the comments); every refused line is
accounted for by its reason.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from app.ingest.readers import BadSentenceFile
from app.ingest.report import RefusedWriter
from app.ingest.sentences import IngestFailed, UnknownLanguageCode, ingest_sentences
from app.ingest.text import RuleOptions
from tests.ingest.conftest import ENGLISH, HINDI, PARALLEL, count, rows, write

# english.txt, 103 lines. Over 14 words: lines 8, 10, 16, 27, 29, 31, 35, 41, 65, 76, 78, 85,
# 90, 91, 92, 94, 97 (95 and 96 are long too, but refused first for their digits). With digits:
# 7 (433), 13 (213), 25 (7th), 61 (35), 70 (1975), 81 and 82 (2011), 95 (2008, 10m), 96 (104),
# 98 (2017). Repeated: 18 repeats 12, 67 repeats 5 (92 repeats 16, but both are too long).
ENGLISH_REFUSED = {"too_long": 17, "has_digits": 10, "duplicate_in_file": 2}
ENGLISH_TOO_LONG = [8, 10, 16, 27, 29, 31, 35, 41, 65, 76, 78, 85, 90, 91, 92, 94, 97]
ENGLISH_DIGITS = [7, 13, 25, 61, 70, 81, 82, 95, 96, 98]


def test_hindi_file_adds_all_but_the_one_sentence_over_fourteen_words(db) -> None:
    # hindi.txt: 125 lines of Devanagari (a BOM, leading and trailing spaces, ZWJ, commas,
    # quotes, a colon); only line 13 is longer than 14 words (16), none repeats.
    report = ingest_sentences(db, HINDI, language="hi")

    assert (report.added_count, report.refused_count) == (124, 1)
    assert report.refused == Counter({"too_long": 1})
    assert report.summary() == "124 added, 1 refused"
    stored = rows(db)
    assert len(stored) == 124
    assert {r["batch_id"] for r in stored} == {report.batch_id}
    first = stored[0]
    assert first["text"] == "हुबली भारत के कर्नाटक प्रांत का एक प्रमुख नगर है"  # no BOM, no space
    assert (first["language_code"], first["kind"], first["source"]) == (
        "hi",
        "sentence",
        "hindi.txt:1",
    )
    assert stored[12]["source"] == "hindi.txt:14"  # line 13 was refused
    batch = db.execute("SELECT * FROM ingest_batches").fetchone()
    assert (batch["kind"], batch["language_code"], batch["source"]) == (
        "sentence",
        "hi",
        "hindi.txt",
    )
    assert (batch["added_count"], batch["refused_count"]) == (124, 1)
    assert batch["refusals"] == {"too_long": 1}
    assert batch["options"]["max_words"] == 14 and batch["is_active"]


def test_english_file_with_byte_order_mark_refuses_long_lines_digits_and_repeats(db) -> None:
    refused = io.StringIO()
    report = ingest_sentences(db, ENGLISH, language="en", on_refused=RefusedWriter(refused))

    assert (report.added_count, report.refused_count) == (74, 29)
    assert report.refused == Counter(ENGLISH_REFUSED)
    lines = refused.getvalue().splitlines()
    assert lines[0] == "where\tlanguage\treason\ttext"
    by_reason: dict[str, list[int]] = {}
    for line in lines[1:]:
        where, language, reason, _ = line.split("\t", 3)
        assert language == "en"
        by_reason.setdefault(reason, []).append(int(where))
    assert by_reason == {
        "too_long": ENGLISH_TOO_LONG,
        "has_digits": ENGLISH_DIGITS,
        "duplicate_in_file": [18, 67],
    }
    assert "18\ten\tduplicate_in_file\tIndia produces a variety of spices" in refused.getvalue()
    first = rows(db)[0]["text"]
    assert first == "I have deep respect for entrepreneurs both existing and aspiring ones."


def test_parallel_csv_goes_into_each_language_as_one_batch(db) -> None:
    # parallel_6_languages.csv: a header of six language names, three records. Record 1 (line
    # 2) is 38-59 words in every language; record 2 (line 3) has digits in every language
    # (Bengali ২০১৯ too); record 3 (line 4) is 15-22 words except Tamil (13 words).
    # A record is refused whole (issue #16): Tamil's record 3 no longer comes in alone,
    # without the translations it pairs with (the old expectation, 1 added, was the bug).
    report = ingest_sentences(db, PARALLEL)

    assert report.kind == "parallel"
    assert report.languages == ["en", "hi", "ta", "bn", "te", "ml"]
    assert (report.added_count, report.refused_count) == (0, 18)
    assert report.refused == Counter({"too_long": 11, "has_digits": 6, "row_refused": 1})
    assert dict(report.added) == {"en": 0, "hi": 0, "ta": 0, "bn": 0, "te": 0, "ml": 0}
    assert rows(db) == []
    batch = db.execute("SELECT kind, language_code FROM ingest_batches").fetchone()
    assert batch == {"kind": "parallel", "language_code": None}


def test_parallel_csv_with_relaxed_rules_keeps_every_translation_aligned(db) -> None:
    report = ingest_sentences(db, PARALLEL, options=RuleOptions(max_words=60, allow_digits=True))

    assert (report.added_count, report.refused_count) == (18, 0)
    stored = rows(db)
    by_record = Counter(r["source"] for r in stored)
    assert by_record == {f"parallel_6_languages.csv:{line}": 6 for line in (2, 3, 4)}
    malayalam = next(r["text"] for r in stored if r["language_code"] == "ml")
    assert "\u00a0" not in malayalam and "  " not in malayalam  # NBSP runs became one space


def test_language_picks_one_column_of_a_csv(db) -> None:
    report = ingest_sentences(db, PARALLEL, language="ta")

    assert report.kind == "sentence" and report.languages == ["ta"]
    assert (report.added_count, report.refused_count) == (1, 2)
    with pytest.raises(BadSentenceFile, match="no column for 'mr'"):
        ingest_sentences(db, PARALLEL, language="mr")


def test_running_again_adds_nothing_and_says_everything_is_already_present(db) -> None:
    ingest_sentences(db, HINDI, language="hi")
    ingest_sentences(db, ENGLISH, language="en")
    ingest_sentences(db, PARALLEL)

    hindi = ingest_sentences(db, HINDI, language="hi")
    english = ingest_sentences(db, ENGLISH, language="en")
    parallel = ingest_sentences(db, PARALLEL)

    assert hindi.refused == Counter({"already_present": 124, "too_long": 1})
    assert english.refused == Counter({"already_present": 74, **ENGLISH_REFUSED})
    # The parallel file adds nothing (each record has a refused cell): see above.
    assert parallel.refused == Counter({"row_refused": 1, "too_long": 11, "has_digits": 6})
    assert hindi.added_count == english.added_count == parallel.added_count == 0
    assert count(db, "dataset_rows") == 124 + 74
    assert count(db, "ingest_batches") == 6  # every run is recorded, even one that adds nothing


def test_dry_run_reports_the_same_counts_and_writes_nothing(db) -> None:
    dry = ingest_sentences(db, ENGLISH, language="en", dry_run=True)
    assert (dry.added_count, dry.refused_count, dry.batch_id) == (74, 29, None)
    assert count(db, "dataset_rows") == count(db, "ingest_batches") == 0

    ingest_sentences(db, HINDI, language="hi")
    again = ingest_sentences(db, HINDI, language="hi", dry_run=True)
    assert again.refused == Counter({"already_present": 124, "too_long": 1})
    assert count(db, "dataset_rows") == 124 and count(db, "ingest_batches") == 1


def test_a_database_error_mid_run_leaves_the_database_unchanged(db) -> None:
    ingest_sentences(db, ENGLISH, language="en")
    before = count(db, "dataset_rows"), count(db, "ingest_batches")
    # The 7th line of hindi.txt will be refused by the database while the others go in.
    db.execute(
        "ALTER TABLE dataset_rows ADD CONSTRAINT no_old_city"
        " CHECK (text <> 'यह भारत का अति प्राचीन नगर है')"
    )

    with pytest.raises(IngestFailed, match="nothing was written"):
        ingest_sentences(db, HINDI, language="hi")

    assert (count(db, "dataset_rows"), count(db, "ingest_batches")) == before
    assert not db.execute("SELECT 1 FROM dataset_rows WHERE language_code = 'hi'").fetchall()


def test_a_broken_record_late_in_a_csv_leaves_the_database_unchanged(db, tmp_path: Path) -> None:
    good = "".join(f'"वाक्य नंबर {word} यहाँ है","sentence {word} here"\n' for word in "कखगघ")
    broken = write(tmp_path / "broken.csv", f'Hindi,English\n{good}"only one field\n')

    with pytest.raises(BadSentenceFile, match="line 6"):
        ingest_sentences(db, broken)

    assert count(db, "dataset_rows") == count(db, "ingest_batches") == 0


def test_fields_may_span_lines_and_refusals_name_the_line_a_record_starts(
    db, tmp_path: Path
) -> None:
    # Record 1 takes lines 2-4 (a line break in each field), record 2 starts on line 5.
    lines = [
        "hi,English",
        '"पहली पंक्ति',
        'और दूसरी","first line',
        'and second"',
        '"तीसरी, चौथी",one 2 three',
    ]
    csv_file = write(tmp_path / "multi.csv", "\n".join(lines) + "\n")
    tsv_file = write(tmp_path / "multi.tsv", 'Hindi\n"एक\nदो"\nतीन\n')

    refused = io.StringIO()
    report = ingest_sentences(db, csv_file, on_refused=RefusedWriter(refused))
    tsv = ingest_sentences(db, tsv_file)

    # Record 2 is refused whole: its English cell has a digit (issue #16: rows stay whole).
    assert (report.added_count, report.refused_count) == (2, 2)
    assert refused.getvalue().splitlines()[1:] == [
        "5\thi\trow_refused\tतीसरी, चौथी",
        "5\ten\thas_digits\tone 2 three",
    ]
    texts = [r["text"] for r in rows(db)]
    assert texts[:2] == ["पहली पंक्ति और दूसरी", "first line and second"]
    assert (tsv.added_count, texts[2:]) == (2, ["एक दो", "तीन"])


def test_blocked_words_are_refused(db, tmp_path: Path) -> None:
    report = ingest_sentences(
        db, HINDI, language="hi", blocked=frozenset({"मगरमच्छ", "लग्जरी"})
    )  # in lines 76 and 31

    assert report.refused == Counter({"blocked_word": 2, "too_long": 1})
    assert report.added_count == 122


def test_a_file_that_is_not_utf8_is_refused_whole(db, tmp_path: Path) -> None:
    # Issue #16: this file used to be half-ingested (2 added, the bad line refused).
    path = write(tmp_path / "mixed.txt", "अच्छा है\n".encode() + b"caf\xe9\n\n" + "ठीक है".encode())

    with pytest.raises(BadSentenceFile, match="line 2 is not UTF-8; nothing was written"):
        ingest_sentences(db, path, language="hi")

    assert count(db, "dataset_rows") == count(db, "ingest_batches") == 0


def test_unknown_languages_and_columns_are_refused_before_anything_is_written(
    db, tmp_path: Path
) -> None:
    with pytest.raises(UnknownLanguageCode):
        ingest_sentences(db, HINDI, language="xx")
    with pytest.raises(BadSentenceFile, match="needs --language"):
        ingest_sentences(db, HINDI)
    klingon = write(tmp_path / "k.csv", "Hindi,Klingon\nएक,two\n")
    with pytest.raises(BadSentenceFile, match="column 2 is headed 'Klingon'"):
        ingest_sentences(db, klingon)
    assert count(db, "ingest_batches") == 0


def test_a_sentence_added_by_another_writer_counts_as_already_present(
    db, database_url: str
) -> None:
    # Not from a batch (like the demo sentences): ON CONFLICT DO NOTHING skips it and the run
    # still reports it exactly.
    with psycopg.connect(database_url, autocommit=True) as other:
        other.execute(
            "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', %s)",
            ("यह भारत का अति प्राचीन नगर है",),
        )
    report = ingest_sentences(db, HINDI, language="hi")
    assert report.refused == Counter({"already_present": 1, "too_long": 1})
    assert report.added_count == 123
