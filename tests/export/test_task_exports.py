"""The exports of transcribe, translate and label, read back as their users read them: pandas
for the TSVs, soundfile for the clips, Pillow for the images, translate-toolkit for the TMX,
json for the JSON lines; checksums recomputed, no contributor id in the clear."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import soundfile
from PIL import Image
from translate.misc.xml_helpers import getXMLlang
from translate.storage.tmx import tmxfile

from app.export.privacy import SpeakerIds
from tests.api.conftest import clip
from tests.conftest import TEST_SECRET
from tests.export.conftest import SALT
from tests.export.tasks import Builder, Made, assert_no_raw_ids, check_sums

SPLITS = ("train", "dev", "test")


def read(path: Path) -> pd.DataFrame:
    """A TSV of the export as Common Voice's users read one (no quoting, all text)."""
    return pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, keep_default_na=False, dtype=str)


@pytest.fixture
def build(app, db) -> Builder:
    return Builder(db, app.extensions["crowdsource.storage"])


@pytest.fixture
def transcripts(build: Builder, add_sentences) -> Made:
    """Three clips to transcribe in Hindi: two ingested (one with a reference text), one cut
    from a recording by speaker S. Transcripts: accepted, rejected with an accepted
    correction, pending, reported, removed."""
    b = build
    one = b.item(
        "audio",
        "hi",
        media_key=b.store("audio", "hi", clip("hi_1.wav"), "wav"),
        media_duration_ms=2000,
        text="नमस्ते दुनिया",
    )
    two = b.item(
        "audio",
        "hi",
        media_key=b.store("audio", "hi", clip("hi_2.wav"), "wav"),
        media_duration_ms=2500,
    )
    sentence = add_sentences(1)[0]
    recording = b.recording("S", sentence, "hi", clip("hi_3.wav"))
    key = b.db.execute("SELECT media_key FROM contributions WHERE id = %s", (recording,))
    three = b.item(
        "audio",
        "hi",
        media_key=key.fetchone()["media_key"],
        media_duration_ms=2000,
        source_contribution_id=recording,
        text="वाक्य",
    )
    common = {"language": "hi", "kind": "transcription"}
    b.contribute(
        "t1",
        by="P1",
        item=one,
        text="नमस्ते दुनिया",
        votes="aa",
        status="accepted",
        score=0.0,
        metric="cer",
        **common,
    )
    b.contribute(
        "t2",
        by="P2",
        item=one,
        text="नमस्त दुनया\tगलत",
        votes="rr",
        status="rejected",
        score=0.25,
        metric="cer",
        past=True,
        **common,
    )
    b.contribute(
        "t3",
        by="P3",
        item=one,
        text="नमस्ते  दुनिया!",
        votes="aa",
        status="accepted",
        corrects="t2",
        score=0.08,
        metric="cer",
        **common,
    )
    b.contribute("t4", by="P1", item=two, text="एक दो", votes="a", **common)
    b.contribute("t5", by="P2", item=two, text="एक दो तीन", votes="aa", status="accepted", **common)
    b.contribute(
        "t6", by="P1", item=three, text="वाक्य", votes="aa", status="accepted", reports=3, **common
    )
    b.contribute("t7", by="P2", item=three, text="वाक्य", votes="aa", status="accepted", **common)
    b.contribute("t8", by="P3", item=three, text="हटाया", **common)
    b.db.execute(
        "UPDATE contributions SET status = 'removed', decided_at = now() WHERE id = %s",
        (b.made.ids["t8"],),
    )
    return b.made


def test_transcripts_export_as_an_asr_dataset_with_their_clips(
    transcripts: Made, run_export, db, tmp_path
):
    root = tmp_path / "asr"
    result = run_export(root, task="transcribe", audio="wav")

    ids, made = SpeakerIds(SALT), transcripts
    accepted = read(root / "transcripts.tsv")
    assert list(accepted.columns[:6]) == [
        "client_id",
        "path",
        "sentence",
        "up_votes",
        "down_votes",
        "locale",
    ]
    rows = {row["id"]: row for row in accepted.to_dict("records")}
    public = made.public
    assert set(rows) == {public["t1"], public["t3"], public["t5"], public["t6"], public["t7"]}
    first = rows[public["t1"]]
    assert first["client_id"] == ids(made.people["P1"]) and first["locale"] == "hi"
    assert (first["sentence"], first["up_votes"], first["down_votes"]) == ("नमस्ते दुनिया", "2", "0")
    assert (first["score"], first["metric"], first["status"]) == ("0.0000", "cer", "accepted")
    correction = rows[public["t3"]]
    assert correction["corrects"] == public["t2"] and correction["path"] == first["path"]
    assert rows[public["t5"]]["score"] == rows[public["t5"]]["metric"] == ""
    assert rows[public["t7"]]["speaker_id"] == ids(made.people["S"])
    assert rows[public["t5"]]["speaker_id"] == ""
    rejected = read(root / "rejected.tsv").to_dict("records")
    assert [r["id"] for r in rejected] == [public["t2"]]
    assert rejected[0]["sentence"] == "नमस्त दुनया गलत" and rejected[0]["past_threshold"] == "1"
    assert [r["id"] for r in read(root / "pending.tsv").to_dict("records")] == [public["t4"]]
    assert (
        public["t8"]
        not in (root / "transcripts.tsv").read_text() + (root / "rejected.tsv").read_text()
    )  # removed by an operator: nowhere

    for path in accepted["path"]:  # Common Voice's convention: clips/ + path
        samples, rate = soundfile.read(root / "clips" / path)
        assert rate == 16_000 and len(samples) > 0
    assert len(list((root / "clips").iterdir())) == 3  # each clip once
    assert result.clips_written == 3 and result.rows["transcripts.tsv"] == 5

    in_splits = pd.concat([read(root / f"{split}.tsv").assign(split=split) for split in SPLITS])
    # t6 is reported by enough people to leave the splits; t1 and t3 are one clip's (one
    # transcript per clip by default: the earliest).
    assert set(in_splits["id"]) == {public["t1"], public["t5"], public["t7"]}
    assert in_splits.groupby("path")["split"].nunique().max() == 1
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Hindi (हिन्दी) transcribed speech: Crowdsource export, hi")
    assert "| `transcripts.tsv` | 5 | 3 |" in readme and "No clip is in two splits" in readme
    assert "1 accepted transcript(s) reported" in readme
    assert sum(name.startswith("clips/") for name in check_sums(root)) == 3
    assert_no_raw_ids(root, list(made.people.values()))


def test_all_transcripts_of_one_clip_share_a_split_and_a_speaker_s_clips_too(
    build: Builder, add_sentences, run_export, tmp_path
):
    b = build
    sentences = iter(add_sentences(3))
    clips = []
    for n in range(9):  # every third clip cut from speaker S's recordings, the others ingested
        if n % 3:
            key = b.store("audio", "hi", clip("hi_1.wav"), "wav")
            clips.append(b.item("audio", "hi", media_key=key, media_duration_ms=2000))
            continue
        recording = b.recording("S", next(sentences), "hi", clip("hi_2.wav"))
        key = b.db.execute("SELECT media_key FROM contributions WHERE id = %s", (recording,))
        clips.append(b.item("audio", "hi", media_key=key.fetchone()["media_key"],
                            media_duration_ms=2000, source_contribution_id=recording))  # fmt: skip
    for n, item in enumerate(clips):
        for who in range(3):
            b.contribute(
                f"t{n}.{who}",
                by=f"P{who}",
                item=item,
                language="hi",
                kind="transcription",
                text=f"पाठ {n} {who}",
                votes="aa",
                status="accepted",
            )
    root = tmp_path / "asr"
    run_export(root, task="transcribe", max_per_sentence=3)

    in_splits = pd.concat([read(root / f"{split}.tsv").assign(split=split) for split in SPLITS])
    assert len(in_splits) == 27 and set(in_splits["split"]) == set(SPLITS)
    assert (in_splits.groupby("clip_id")["split"].nunique() == 1).all()
    spoken = in_splits[in_splits["speaker_id"] != ""]
    assert len(spoken) == 9 and spoken["split"].nunique() == 1


@pytest.fixture
def translations(build: Builder, add_sentences) -> Made:
    """Hindi sentences to translate into Tamil, one prompt each, one with a reference."""
    b = build
    sources = add_sentences(3)
    prompts = [
        b.item(
            "prompt",
            "ta",
            source_item_id=source,
            source_language_code="hi",
            text="குறிப்பு" if n == 0 else None,
        )
        for n, source in enumerate(sources)
    ]
    common = {"language": "ta", "kind": "translation"}
    b.contribute(
        "x1",
        by="P1",
        item=prompts[0],
        text='வணக்கம் <உலகம்> & "நண்பர்"',
        votes="aa",
        status="accepted",
        score=61.5,
        metric="chrf",
        **common,
    )
    b.contribute(
        "x2", by="P2", item=prompts[1], text="தவறு", votes="rr", status="rejected", **common
    )
    b.contribute(
        "x3",
        by="P3",
        item=prompts[1],
        text="சரி",
        votes="aa",
        status="accepted",
        corrects="x2",
        **common,
    )
    b.contribute("x4", by="P1", item=prompts[2], text="காத்திரு", votes="a", **common)
    b.contribute(
        "x5", by="P2", item=prompts[2], text="மூன்று", votes="aa", status="accepted", **common
    )
    b.made.ids.update({f"source{n}": source for n, source in enumerate(sources)})
    return b.made


def test_translations_export_as_tsv_and_a_tmx_that_translate_toolkit_reads(
    translations: Made, run_export, db, tmp_path
):
    root = tmp_path / "parallel"
    run_export(root, task="translate", language="ta")

    made, public = translations, translations.public
    frame = read(root / "translations.tsv")
    assert list(frame.columns[:8]) == [
        "id",
        "client_id",
        "source_id",
        "source_language",
        "source",
        "target_language",
        "translation",
        "up_votes",
    ]
    rows = {row["id"]: row for row in frame.to_dict("records")}
    assert set(rows) == {public["x1"], public["x3"], public["x5"]}
    first = rows[public["x1"]]
    source = db.execute("SELECT text FROM dataset_rows WHERE id = %s", (made.ids["source0"],))
    assert first["source"] == source.fetchone()["text"]
    assert (first["source_language"], first["target_language"]) == ("hi", "ta")
    assert first["source_id"] == str(made.ids["source0"])
    assert (first["score"], first["metric"]) == ("61.5000", "chrf")
    assert first["client_id"] == SpeakerIds(SALT)(made.people["P1"])
    assert rows[public["x3"]]["corrects"] == public["x2"]
    assert [r["id"] for r in read(root / "rejected.tsv").to_dict("records")] == [public["x2"]]

    store = tmxfile(io.BytesIO((root / "translations.tmx").read_bytes()))
    assert store.getsourcelanguage() == "hi"
    units = {unit.getid(): unit for unit in store.units}
    assert set(units) == set(rows)
    for tuid, unit in units.items():
        assert unit.source == rows[tuid]["source"]
        assert unit.target == rows[tuid]["translation"]
        assert [getXMLlang(node) for node in unit.getlanguageNodes()] == ["hi", "ta"]
    assert units[public["x1"]].target == 'வணக்கம் <உலகம்> & "நண்பர்"'

    in_splits = pd.concat([read(root / f"{split}.tsv").assign(split=split) for split in SPLITS])
    assert set(in_splits["id"]) == set(rows)  # one accepted translation per prompt
    assert (in_splits.groupby("source_id")["split"].nunique() == 1).all()
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Tamil (தமிழ்) translations: Crowdsource export, ta")
    assert "translations.tmx" in check_sums(root)
    assert_no_raw_ids(root, list(made.people.values()))


def test_the_tmx_names_every_source_language_when_there_are_several(
    build: Builder, add_sentences, run_export, tmp_path
):
    for language in ("hi", "en"):
        source = add_sentences(1, language=language)[0]
        prompt = build.item("prompt", "ta", source_item_id=source, source_language_code=language)
        build.contribute(
            language,
            by=language,
            item=prompt,
            language="ta",
            kind="translation",
            text=f"மொழி {language}",
            votes="aa",
            status="accepted",
        )
    run_export(tmp_path / "parallel", task="translate", language="ta")

    store = tmxfile(io.BytesIO((tmp_path / "parallel" / "translations.tmx").read_bytes()))
    languages = {getXMLlang(unit.getlanguageNodes()[0]) for unit in store.units}
    assert languages == {"hi", "en"}
    assert b'srclang="*all*"' in (tmp_path / "parallel" / "translations.tmx").read_bytes()


def png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def labels(build: Builder) -> Made:
    """Three images of Hindi text; labels accepted, corrected, pending."""
    b = build
    images = [
        b.item(
            "image",
            "hi",
            media_key=b.store("image", "hi", png((40 + n, 20)), "png"),
            media_measures={"width": 40 + n, "height": 20, "format": "png"},
            text="संदर्भ" if n == 0 else None,
        )
        for n in range(3)
    ]
    common = {"language": "hi", "kind": "label"}
    b.contribute(
        "l1",
        by="P1",
        item=images[0],
        text="संदर्भ",
        votes="aa",
        status="accepted",
        score=0.0,
        metric="cer",
        **common,
    )
    b.contribute("l2", by="P2", item=images[1], text="गलत", votes="rr", status="rejected", **common)
    b.contribute(
        "l3",
        by="P3",
        item=images[1],
        text="सही",
        votes="aa",
        status="accepted",
        corrects="l2",
        **common,
    )
    b.contribute("l4", by="P1", item=images[2], text="रुको", **common)
    return b.made


def test_labels_export_with_their_images_as_tsv_and_json_lines(labels: Made, run_export, tmp_path):
    root = tmp_path / "images"
    run_export(root, task="label")

    public = labels.public
    frame = read(root / "labels.tsv")
    rows = {row["id"]: row for row in frame.to_dict("records")}
    assert set(rows) == {public["l1"], public["l3"]}
    first = rows[public["l1"]]
    assert (first["text"], first["up_votes"], first["down_votes"]) == ("संदर्भ", "2", "0")
    assert (first["score"], first["metric"]) == ("0.0000", "cer")
    assert (first["width"], first["height"], first["format"]) == ("40", "20", "png")
    assert first["client_id"] == SpeakerIds(SALT)(labels.people["P1"])
    assert rows[public["l3"]]["corrects"] == public["l2"]
    for row in rows.values():
        with Image.open(root / row["path"]) as image:
            assert image.size == (int(row["width"]), int(row["height"]))
    manifest = [
        json.loads(line)
        for line in (root / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert {entry["id"] for entry in manifest} == set(rows)
    by_id: dict[str, dict[str, Any]] = {entry["id"]: entry for entry in manifest}
    assert by_id[public["l1"]]["file_name"] == first["path"]
    assert by_id[public["l1"]]["text"] == "संदर्भ" and by_id[public["l1"]]["score"] == 0.0
    assert by_id[public["l3"]]["corrects"] == public["l2"] and by_id[public["l3"]]["score"] is None
    assert [r["id"] for r in read(root / "pending.tsv").to_dict("records")] == [public["l4"]]
    in_splits = pd.concat([read(root / f"{split}.tsv").assign(split=split) for split in SPLITS])
    assert set(in_splits["id"]) == set(rows)
    listed = check_sums(root)
    assert "labels.jsonl" in listed and sum(n.startswith("images/") for n in listed) == 3
    assert_no_raw_ids(root, list(labels.people.values()))


def test_the_cli_exports_a_task_and_names_the_folder_after_it(
    labels: Made, cli, settings, tmp_path
):
    env = {
        "DATABASE_URL": str(settings.database_url),
        "SECRET_KEY": TEST_SECRET,
        "STORAGE_DIR": str(settings.storage_dir),
    }
    result = cli.run("export", "--task", "label", "--language", "hi", "--tar", **env)

    assert result.returncode == 0, result.stderr
    out = cli.cwd / "crowdsource-label-hi"
    assert result.stdout.startswith(
        "exported label hi to crowdsource-label-hi: 2 accepted, 1 rejected, 1 pending;"
    )
    assert (out / "crowdsource-label-hi.tar.gz").is_file()
    check_sums(out)
    refused = cli.run(
        "export",
        "--task",
        "label",
        "--language",
        "hi",
        "--audio",
        "flac",
        "--out",
        str(tmp_path / "x"),
        **env,
    )
    assert refused.returncode != 0 and "the label task has no audio" in refused.stderr


def test_a_clip_missing_from_storage_takes_its_transcripts_out_of_every_file(
    build: Builder, app, run_export, tmp_path
):
    b = build
    kept, lost = (b.store("audio", "hi", clip(name), "wav") for name in ("hi_1.wav", "hi_2.wav"))
    for n, key in enumerate((kept, lost)):
        item = b.item("audio", "hi", media_key=key, media_duration_ms=2000)
        b.contribute(
            f"t{n}",
            by="P1",
            item=item,
            language="hi",
            kind="transcription",
            text=f"पाठ {n}",
            votes="aa",
            status="accepted",
        )
    app.extensions["crowdsource.storage"].delete(lost)
    root = tmp_path / "asr"
    result = run_export(root, task="transcribe")

    assert len(result.left_out) == 1 and result.rows["transcripts.tsv"] == 1
    assert list(read(root / "transcripts.tsv")["id"]) == [b.made.public["t0"]]
    assert "1 clip(s) could not be read" in (root / "README.md").read_text(encoding="utf-8")
    assert sum(name.startswith("clips/") for name in check_sums(root)) == 1
