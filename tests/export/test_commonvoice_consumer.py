"""A real consumer reads the export as it reads a Common Voice release, with no glue code.

What Common Voice's users write (its docs and the usual recipes): pandas with tab separators
and quoting off (`quoting=3`, csv.QUOTE_NONE: sentences may hold quotes), then the audio at
`<release>/clips/<path>`, opened with soundfile (libsndfile).
"""

from __future__ import annotations

import csv
import os

import pandas as pd
import pytest
import soundfile

from tests.export.conftest import History

CV_HEADER = [
    "client_id", "path", "sentence_id", "sentence", "sentence_domain", "up_votes",
    "down_votes", "age", "gender", "accents", "variant", "locale", "segment",
]  # fmt: skip
CV_AGES = {"", "teens", "twenties", "thirties", "fourties", "fifties", "sixties", "seventies",
           "eighties", "nineties"}  # fmt: skip
CV_GENDERS = {"", "male_masculine", "female_feminine", "intersex", "transgender", "non-binary",
              "do_not_wish_to_say"}  # fmt: skip


@pytest.mark.parametrize("audio", ["wav", "flac"])
def test_pandas_and_soundfile_read_the_export_like_a_common_voice_release(
    history: History, run_export, tmp_path, audio: str
) -> None:
    root = tmp_path / "cv-corpus" / "hi"
    run_export(root, audio=audio)

    for split in ("validated", "invalidated", "other", "train", "dev", "test"):
        frame = pd.read_csv(
            os.path.join(root, f"{split}.tsv"), sep="\t", quoting=csv.QUOTE_NONE,
            keep_default_na=False, dtype=str,
        )  # fmt: skip
        assert len(frame.columns) == len(CV_HEADER)
        for position, column in enumerate(CV_HEADER):
            assert frame.columns[position] == column, (split, position)
        assert set(frame["locale"]) <= {"hi"}
        assert set(frame["age"]) <= CV_AGES and set(frame["gender"]) <= CV_GENDERS
        for path in frame["path"]:
            data, rate = soundfile.read(os.path.join(root, "clips", path))
            assert rate == 16_000 and len(data) > rate  # over a second of speech
    validated = pd.read_csv(root / "validated.tsv", sep="\t", quoting=3)
    assert len(validated) == 16
    assert validated["up_votes"].dtype.kind == "i" and (validated["up_votes"] >= 2).all()
    assert validated["sentence_id"].notna().all() and validated["sentence"].str.len().min() > 0
    assert set(validated["gender"].dropna()) == {"female_feminine", "male_masculine"}

    durations = pd.read_csv(root / "clip_durations.tsv", sep="\t", quoting=3)
    assert list(durations.columns) == ["clip", "duration[ms]"]
    assert len(durations) == 20
    for clip, duration_ms in zip(durations["clip"], durations["duration[ms]"], strict=True):
        info = soundfile.info(os.path.join(root, "clips", clip))
        assert abs(info.duration * 1000 - duration_ms) <= 50, clip

    reported = pd.read_csv(root / "reported.tsv", sep="\t", quoting=3)
    assert list(reported.columns) == ["sentence_id", "sentence", "locale", "reason"]
    assert list(reported["reason"]) == ["grammar-or-spelling"]

    # Our extra columns: a separate file, joined on `path` the way pandas joins.
    extra = pd.read_csv(root / "crowdsource_extra.tsv", sep="\t", quoting=3)
    joined = validated.merge(extra, on="path", how="left", validate="one_to_one")
    assert (joined["status"] == "accepted").all() and joined["snr_db"].notna().all()
