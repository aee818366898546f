"""Exports that are interrupted, go to a bucket, or run from the command line."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from app.export import ExportError, ExportOptions, default_salt, export_language, open_target
from app.export.privacy import SpeakerIds
from tests.conftest import TEST_SECRET
from tests.export.conftest import SALT, read_tsv


class Interrupted(Exception):
    """Stands for Ctrl+C, a killed pod, a lost connection..."""


def checksums_verify(out: Path) -> bool:
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, path = line.split("  ", 1)
        if hashlib.sha256((out / path).read_bytes()).hexdigest() != digest:
            return False
    return True


def test_an_interrupted_export_resumes_without_redoing_verified_clips(
    history, run_export, tmp_path
):
    out = tmp_path / "out"

    def stop_after_five_clips(phase: str, done: int, total: int) -> None:
        if phase == "clips" and done == 5:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_export(out, audio="flac", workers=1, on_progress=stop_after_five_clips)
    first = sorted((out / "clips").iterdir())
    assert len(first) == 5 and not (out / "SHA256SUMS").exists()
    written_at = {p.name: p.stat().st_mtime_ns for p in first}

    result = run_export(out, audio="flac")
    assert (result.clips_reused, result.clips_written) == (5, 15)
    assert {p.name: p.stat().st_mtime_ns for p in first} == written_at
    assert len(list((out / "clips").iterdir())) == 20 and checksums_verify(out)

    first[0].write_bytes(b"damaged after it was verified")
    result = run_export(out, audio="flac")
    assert (result.clips_reused, result.clips_written) == (19, 1)
    assert checksums_verify(out)


def test_a_rerun_with_other_audio_or_into_a_foreign_folder_is_refused(
    history, run_export, tmp_path
):
    out = tmp_path / "out"
    run_export(out, audio="flac")
    with pytest.raises(ExportError, match="--audio flac"):
        run_export(out, audio="original")
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(ExportError, match="not empty"):
        run_export(foreign)
    with pytest.raises(ExportError, match="unknown language 'xx'"):
        run_export(tmp_path / "new", language="xx")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["s3", "gcs"])
def test_an_export_to_a_bucket_uploads_a_set_that_checks(history, app, settings, request, kind):
    backend = request.getfixturevalue(f"{kind}_backend")
    bucket = backend.fresh()
    url = f"{'s3' if kind == 's3' else 'gs'}://{bucket.bucket}/exports/hi"
    configured = replace(settings, s3_endpoint_url=backend.endpoint, aws_region="us-east-1")
    target = open_target(url, configured)
    assert settings.database_url is not None
    result = export_language(
        settings.database_url,
        app.extensions["crowdsource.storage"],
        target,
        ExportOptions(language="hi", tar=True, audio="flac", workers=3),
        salt=SALT,
    )
    keys = backend.everything_stored(bucket)
    assert all(key.startswith("exports/hi/") and key == key.lower() for key in keys)
    assert result.uploaded == len(keys) == 20 + 11 + 1 + 1  # clips, text files, sums, tarball
    assert {"exports/hi/readme.md", "exports/hi/sha256sums", "exports/hi/validated.tsv"} <= keys
    assert "exports/hi/crowdsource-hi.tar.gz" in keys
    sums = bucket.get("exports/hi/sha256sums").decode().splitlines()
    assert len(sums) == 31
    for line in sums:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(bucket.get(f"exports/hi/{name}")).hexdigest() == digest, name
    assert not target.local_dir.exists()  # the staging folder we chose is gone


@pytest.fixture
def cli_env(settings) -> dict[str, str]:
    """The environment a deployment would give the command: the test's database and storage."""
    return {
        "DATABASE_URL": str(settings.database_url),
        "SECRET_KEY": TEST_SECRET,
        "STORAGE_DIR": str(settings.storage_dir),
    }


def test_the_cli_exports_with_a_progress_bar_and_speaker_ids_from_the_secret_key(
    history, cli, cli_env, settings, db, tmp_path
):
    out = tmp_path / "cli-out"
    result = cli.run(
        "export", "--language", "hi", "--out", str(out), "--tar", timeout=180, **cli_env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"exported hi to {out}: 16 validated, 2 invalidated, 2 other;")
    assert "train 4, dev 2, test 3; 20 clips written, 0 already there; crowdsource-hi.tar.gz" in (
        result.stdout
    )
    assert "clips" in result.stderr and "Traceback" not in result.stderr
    first = read_tsv(out / "validated.tsv")[0]
    author = db.execute(
        "SELECT contributor_id FROM contributions WHERE public_id = %s",
        (first["path"].split(".")[0],),
    ).fetchone()["contributor_id"]
    assert first["client_id"] == SpeakerIds(default_salt(settings))(author)
    assert checksums_verify(out)


def one_error_line(result) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crowdsource: error: "), result.stderr
    return lines[0]


def test_the_cli_says_in_one_line_what_is_wrong(history, cli, cli_env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cases = [
        (["--language", "xx"], "unknown language 'xx' (known: as, bn,"),
        (["--language", "hi", "--out", str(blocker / "out")], "cannot write to"),
        (["--language", "hi", "--salt", "short"], "--salt must be at least 16 characters"),
        (["--language", "hi", "--out", "s3://Bad_Bucket/x"], "is not a valid bucket name"),
        (["--language", "hi", "--licence", "CC BY 4.0"], "SPDX licence identifier"),
    ]
    for arguments, message in cases:
        result = cli.run("export", *arguments, timeout=120, **cli_env)
        assert message in one_error_line(result), arguments


def test_a_language_with_nothing_accepted_exports_empty_files_and_says_so(
    history, cli, cli_env, tmp_path
):
    out = tmp_path / "ta"
    result = cli.run("export", "--language", "ta", "--out", str(out), timeout=120, **cli_env)
    assert result.returncode == 0, result.stderr
    assert "crowdsource: note: no accepted recordings in ta yet: the splits are empty" in (
        result.stderr
    )
    for name in ("validated.tsv", "train.tsv", "dev.tsv", "test.tsv", "clip_durations.tsv"):
        assert len((out / name).read_text().splitlines()) == 1  # the header only
    assert checksums_verify(out)
