"""An export of a history made through the real API: files, splits, privacy, integrity, audio."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections import Counter
from pathlib import Path

import av
import pytest

from app.export.privacy import SpeakerIds
from tests.export.conftest import SALT, History, contributor_ids, make_history, read_tsv

# Common Voice's clip TSV header since Corpus 17.0, column by column.
CV_HEADER = [
    "client_id", "path", "sentence_id", "sentence", "sentence_domain", "up_votes",
    "down_votes", "age", "gender", "accents", "variant", "locale", "segment",
]  # fmt: skip

STATUS_FILES = {"validated.tsv": "accepted", "invalidated.tsv": "rejected", "other.tsv": "pending"}


def every_file(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_an_export_lists_every_recording_once_by_status(history: History, run_export, db, tmp_path):
    out = tmp_path / "out"
    result = run_export(out)

    assert {p.name for p in out.iterdir()} == {
        "clips", ".export", "README.md", "SHA256SUMS", "clip_durations.tsv", "reported.tsv",
        "crowdsource_extra.tsv", "crowdsource_reported.tsv",
        "validated.tsv", "invalidated.tsv", "other.tsv", "train.tsv", "dev.tsv", "test.tsv",
    }  # fmt: skip
    ids = SpeakerIds(SALT)
    for name, status in STATUS_FILES.items():
        header = (out / name).read_text().splitlines()[0].split("\t")
        assert len(header) == len(CV_HEADER)
        for position, column in enumerate(CV_HEADER):
            assert header[position] == column, (name, position)
        rows = read_tsv(out / name)
        expected = history.ids_with_status(status)
        assert sorted(public_id(r["path"]) for r in rows) == sorted(expected)
        assert len(rows) == result.rows[name]
        assert {r["locale"] for r in rows} == {"hi"}
    first = read_tsv(out / "validated.tsv")[0]
    assert (first["up_votes"], first["down_votes"]) == ("2", "0")
    assert first["sentence"].startswith("वाक्य 0 ")
    assert (first["age"], first["gender"]) == ("twenties", "female_feminine")
    assert "/" not in first["path"] and (out / "clips" / first["path"]).is_file()
    assert (first["accents"], first["variant"], first["segment"]) == ("", "", "")
    assert len(first["client_id"]) == 40 and first["client_id"] == ids_of(history, db, ids)["A"]
    extra = {r["path"]: r for r in read_tsv(out / "crowdsource_extra.tsv")}
    assert len(extra) == 20 and extra[first["path"]]["status"] == "accepted"
    mine = extra[first["path"]]
    assert (mine["age_group"], mine["gender"], mine["mother_tongue"], mine["state"]) == (
        "twenties", "female", "hi", "Uttar Pradesh",
    )  # fmt: skip
    assert float(mine["snr_db"]) > 0 and int(mine["duration_ms"]) > 1000
    durations = read_tsv(out / "clip_durations.tsv")
    assert len(durations) == 20 and list(durations[0]) == ["clip", "duration[ms]"]
    assert {d["clip"] for d in durations} == set(extra)
    reported = read_tsv(out / "crowdsource_reported.tsv")
    assert [(r["target"], r["reason"], r["reports"]) for r in reported] == [
        ("recording", "poor_audio", "3"), ("sentence", "grammar_or_spelling", "1"),
    ]  # fmt: skip
    assert reported[0]["path"].startswith(f"{history.reported_recording}.")
    cv_reported = read_tsv(out / "reported.tsv")
    assert (out / "reported.tsv").read_text().splitlines()[0].split("\t") == [
        "sentence_id", "sentence", "locale", "reason",
    ]  # fmt: skip
    assert [(r["locale"], r["reason"]) for r in cv_reported] == [("hi", "grammar-or-spelling")]
    assert cv_reported[0]["sentence_id"] == reported[1]["sentence_id"]
    assert result.rows["reported.tsv"] == 1 and result.rows["crowdsource_reported.tsv"] == 2
    assert result.clips_written == 20 and not result.left_out and not result.notes


def public_id(path: str) -> str:
    """<public id>.<ext> (or clips/<public id>.<ext>) -> <public id>"""
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def ids_of(history: History, db, ids: SpeakerIds) -> dict[str, str]:
    """Published speaker id of each named speaker (found through one of their recordings)."""
    found = {}
    for name, _, _, recording in history.recordings:
        row = db.execute(
            "SELECT contributor_id FROM contributions WHERE public_id = %s", (recording,)
        ).fetchone()
        found[name] = ids(row["contributor_id"])
    return found


def test_splits_are_speaker_disjoint_accepted_only_and_sized_by_the_rule(
    history: History, run_export, db, tmp_path
):
    out = tmp_path / "out"
    run_export(out)
    splits = {name: read_tsv(out / f"{name}.tsv") for name in ("train", "dev", "test")}
    validated = {r["path"]: r for r in read_tsv(out / "validated.tsv")}
    speakers = {name: {r["client_id"] for r in rows} for name, rows in splits.items()}
    assert not speakers["train"] & speakers["dev"] and not speakers["train"] & speakers["test"]
    assert not speakers["dev"] & speakers["test"]
    in_splits = [r for rows in splits.values() for r in rows]
    assert all(validated[r["path"]] == r for r in in_splits)  # accepted, rows unchanged
    assert len({r["sentence_id"] for r in in_splits}) == len(in_splits)  # one per sentence
    assert not any(history.reported_recording in r["path"] for r in in_splits)
    # 16 accepted - 6 repeated sentences - 1 reported by three people = 9: targets 3/3/3.
    # The three one-clip speakers (A, B, C) fill test; D, E and F have two clips each: the
    # first (by hashed id) goes to dev, the others to train; G's clips are all repeats.
    named = ids_of(history, db, SpeakerIds(SALT))
    assert speakers["test"] == {named["A"], named["B"], named["C"]}
    two_clip = sorted([named["D"], named["E"], named["F"]])
    assert speakers["dev"] == {two_clip[0]} and speakers["train"] == set(two_clip[1:])
    assert [len(splits[n]) for n in ("train", "dev", "test")] == [4, 2, 3]
    readme = (out / "README.md").read_text()
    assert "Targets here: dev 3, test 3." in readme and "train 4, dev 2, test 3" in readme


def test_no_contributor_id_appears_anywhere_in_the_export(history, run_export, db, tmp_path):
    out = tmp_path / "out"
    run_export(out, tar=True)
    blobs = [p.read_bytes() for p in every_file(out)]
    with tarfile.open(out / "crowdsource-hi.tar.gz") as archive:
        blobs += [archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()]
    blobs.append(gzip.decompress((out / "crowdsource-hi.tar.gz").read_bytes()))
    people = contributor_ids(db)
    assert len(people) == 11  # 8 speakers, 3 validators
    for blob in blobs:
        for contributor in people:
            for form in (str(contributor), contributor.hex):
                assert form.encode() not in blob and form.upper().encode() not in blob
        assert SALT not in blob


def test_the_checksums_verify_and_cover_every_file(history, run_export, tmp_path):
    out = tmp_path / "out"
    run_export(out)
    listed = {}
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, path = line.split("  ", 1)
        listed[path] = digest
    files = {p.relative_to(out).as_posix() for p in every_file(out)}
    assert set(listed) == {f for f in files if not f.startswith(".export/")} - {"SHA256SUMS"}
    for path, digest in listed.items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == digest, path


@pytest.mark.parametrize(
    ("mode", "codec"), [("original", None), ("flac", "flac"), ("wav", "pcm_s16le")]
)
def test_clips_decode_at_the_declared_durations(history, run_export, tmp_path, mode, codec):
    out = tmp_path / mode
    run_export(out, audio=mode)
    declared = {r["clip"]: int(r["duration[ms]"]) for r in read_tsv(out / "clip_durations.tsv")}
    rows = {r["path"]: r for r in read_tsv(out / "crowdsource_extra.tsv")}
    assert set(declared) == set(rows)
    assert set(declared) == {r["path"] for name in STATUS_FILES for r in read_tsv(out / name)}
    kinds = Counter()
    for path, duration_ms in declared.items():
        assert int(rows[path]["duration_ms"]) == duration_ms
        with av.open(str(out / "clips" / path)) as container:
            stream = container.streams.audio[0]
            samples = sum(frame.samples for frame in container.decode(stream))
            rate = stream.codec_context.sample_rate
            kinds[stream.codec_context.name] += 1
            if codec is not None:
                assert (stream.codec_context.name, rate) == (codec, 16_000)
                assert len(stream.codec_context.layout.channels) == 1
        assert abs(samples * 1000 / rate - duration_ms) <= 50, path
        assert path.endswith("." + (mode if codec else path.rsplit(".", 1)[1]))
    if codec is None:  # originals keep their formats: wav, webm/opus and ogg/opus
        assert {"pcm_s16le", "opus"} <= set(kinds) and all(
            p.rsplit(".", 1)[1] in {"wav", "webm", "ogg"} for p in declared
        )


def test_the_tarball_holds_the_export_under_one_folder(history, run_export, tmp_path):
    out = tmp_path / "out"
    result = run_export(out, tar=True)
    assert result.tarball == "crowdsource-hi.tar.gz"
    listed = [line.split("  ", 1)[1] for line in (out / "SHA256SUMS").read_text().splitlines()]
    with tarfile.open(out / "crowdsource-hi.tar.gz", "r:gz") as archive:
        names = archive.getnames()
        assert sorted(names) == sorted(f"crowdsource-hi/{p}" for p in [*listed, "SHA256SUMS"])
        readme = archive.extractfile("crowdsource-hi/README.md").read()
        clip = archive.extractfile(f"crowdsource-hi/{listed[0]}").read()
    assert readme == (out / "README.md").read_bytes()
    assert clip == (out / listed[0]).read_bytes()
    run_export(out)  # without --tar the next time: the old tarball goes
    assert not (out / "crowdsource-hi.tar.gz").exists()


def test_demographics_are_withheld_for_a_language_with_fewer_than_five_speakers(
    person, add_sentences, run_export, tmp_path
):
    profiles = {name: PROFILE for name in ("P", "Q", "R", "S")}
    plan = [("P", 0, "a"), ("Q", 1, "a"), ("R", 2, "a"), ("S", 3, "r"), ("P", 4, "p")]
    make_history(person, add_sentences, language="bn", plan=plan, profiles=profiles)
    out = tmp_path / "bn"
    run_export(out, language="bn")
    for name in [*STATUS_FILES, "train.tsv", "dev.tsv", "test.tsv"]:
        for row in read_tsv(out / name):
            assert (row["age"], row["gender"], row["accents"]) == ("",) * 3
    for row in read_tsv(out / "crowdsource_extra.tsv"):
        assert (row["age_group"], row["gender"], row["mother_tongue"], row["state"]) == ("",) * 4
    readme = (out / "README.md").read_text()
    assert "Demographics are withheld" in readme and "thirties" not in readme
    assert b"Kerala" not in b"".join(p.read_bytes() for p in every_file(out))


PROFILE = {"age_group": "thirties", "gender": "female", "mother_tongue": "ml", "region_code": "KL"}


def test_the_datasheet_states_counts_hours_demographics_licence_and_date(
    history, run_export, tmp_path
):
    out = tmp_path / "out"
    run_export(out, licence="CC-BY-4.0")
    readme = (out / "README.md").read_text()
    assert readme.startswith("# Hindi (हिन्दी) speech: Crowdsource export, hi")
    assert "Licence: **CC-BY-4.0**" in readme and " UTC." in readme
    assert "| `validated.tsv` | 16 | 0.0" in readme and "| `invalidated.tsv` | 2 |" in readme
    assert "8 people recorded in this language; 7 of them have accepted recordings" in readme
    assert "| twenties | 2 | 12.5% | 2 |" in readme and "| Uttar Pradesh | 1 | 6.2% | 1 |" in readme
    assert "sha256sum -c SHA256SUMS" in readme and "n0 = z²·p(1−p)/e² ≈ 16,587" in readme


def test_recordings_whose_audio_is_gone_are_left_out_and_reported(
    history, run_export, app, tmp_path
):
    storage = app.extensions["crowdsource.storage"]
    gone = history.ids_with_status("accepted")[0]
    key = next(k for k in storage.list("recordings/") if gone in k)
    storage.delete(key)
    out = tmp_path / "out"
    result = run_export(out)
    assert [public_id(p) for p in result.left_out] == [gone]
    assert result.rows["validated.tsv"] == 15
    assert gone not in "".join(p.read_text() for p in out.glob("*.tsv"))
    assert "1 recording(s) whose audio could not be read" in (out / "README.md").read_text()


def test_an_export_streams_text_as_utf8_tsv_without_quotes(history, run_export, tmp_path):
    out = tmp_path / "out"
    run_export(out)
    raw = (out / "validated.tsv").read_bytes()
    assert b'"' not in raw and b"\r" not in raw
    rows = list(io.StringIO(raw.decode("utf-8")))
    assert all(line.count("\t") == len(CV_HEADER) - 1 for line in rows)
