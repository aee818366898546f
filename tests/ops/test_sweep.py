"""`crowdsource sweep` through the real command, a real database and real storage: a local
folder (object ages set with utime) and S3 on moto_server (ages made by waiting)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import boto3
import psycopg

from app.storage.local import LocalStorage
from tests.conftest import CLI
from tests.ops.conftest import add_media_row, add_recording, media_key, recording_key
from tests.storage.conftest import new_bucket_name
from tests.test_cli import assert_one_clear_line

TWO_DAYS = 2 * 24 * 3600
AUDIO = b"not really audio, the sweep never reads it"


def _local(tmp_path: Path, base_env: dict[str, str]) -> tuple[LocalStorage, dict[str, str]]:
    root = tmp_path / "storage"
    env = {**base_env, "STORAGE_BACKEND": "local", "STORAGE_DIR": str(root)}
    return LocalStorage(root), env


def _put_aged(storage: LocalStorage, key: str, age_seconds: float) -> None:
    storage.put(key, AUDIO, content_type="audio/webm")
    when = time.time() - age_seconds
    os.utime(storage.root / key, (when, when))


def test_sweep_removes_old_orphans_and_keeps_fresh_ones_referenced_ones_and_the_dashboard(
    cli: CLI, db: psycopg.Connection, base_env: dict[str, str], tmp_path: Path
) -> None:
    storage, env = _local(tmp_path, base_env)
    old_orphan, fresh_orphan = recording_key(), recording_key()
    old_media_orphan = media_key()
    recorded, ingested = recording_key(), media_key()
    dashboard = "public/dashboard/v/1/overall.json"
    for key in (old_orphan, old_media_orphan, recorded, ingested, dashboard):
        _put_aged(storage, key, TWO_DAYS)
    _put_aged(storage, fresh_orphan, 60)  # an upload whose row is still on its way
    add_recording(db, recorded)
    add_media_row(db, ingested)

    result = cli.run("sweep", "--yes", **env)

    assert result.returncode == 0, result.stderr
    assert set(storage.list()) == {fresh_orphan, recorded, ingested, dashboard}
    assert f"removed orphan {old_orphan}" in result.stdout
    assert f"removed orphan {old_media_orphan}" in result.stdout
    summary = result.stdout.strip().splitlines()[-1]
    assert "5 objects scanned, 2 referenced, 2 orphans removed, 1 orphans kept" in summary
    assert "0 rows with a missing object" in summary


def test_rows_whose_object_is_missing_are_reported_with_their_ids_and_kept(
    cli: CLI, db: psycopg.Connection, base_env: dict[str, str], tmp_path: Path
) -> None:
    storage, env = _local(tmp_path, base_env)
    lost_recording, lost_media, present = recording_key(), media_key(), recording_key()
    _put_aged(storage, present, TWO_DAYS)
    contribution_id = add_recording(db, lost_recording)
    row_id = add_media_row(db, lost_media)
    add_recording(db, present)

    result = cli.run("sweep", "--yes", **env)

    assert result.returncode == 0, result.stderr
    assert (
        f"missing object {lost_recording} (referenced by contributions id {contribution_id})"
        in result.stdout
    )
    assert f"missing object {lost_media} (referenced by dataset_rows id {row_id})" in result.stdout
    assert "2 rows with a missing object" in result.stdout
    assert db.execute("SELECT count(*) AS n FROM contributions").fetchone() == {"n": 2}
    assert list(storage.list()) == [present]


def test_dry_run_names_the_orphans_but_removes_nothing(
    cli: CLI, db: psycopg.Connection, base_env: dict[str, str], tmp_path: Path
) -> None:
    storage, env = _local(tmp_path, base_env)
    orphan = recording_key()
    _put_aged(storage, orphan, TWO_DAYS)

    result = cli.run("sweep", "--dry-run", **env)

    assert result.returncode == 0, result.stderr
    assert f"would remove orphan {orphan}" in result.stdout
    assert "dry run:" in result.stdout and "1 orphans would be removed" in result.stdout
    assert list(storage.list()) == [orphan]


def test_grace_and_prefix_narrow_what_is_swept(
    cli: CLI, db: psycopg.Connection, base_env: dict[str, str], tmp_path: Path
) -> None:
    storage, env = _local(tmp_path, base_env)
    three_hours_old, media_orphan = recording_key(), media_key()
    _put_aged(storage, three_hours_old, 3 * 3600)
    _put_aged(storage, media_orphan, TWO_DAYS)

    result = cli.run("sweep", "--yes", "--grace", "2", "--prefix", "recordings/", **env)

    assert result.returncode == 0, result.stderr
    assert list(storage.list()) == [media_orphan]  # media/ was not swept this time
    assert "swept recordings/:" in result.stdout


def test_a_prefix_outside_recordings_and_media_is_refused_in_one_line(
    cli: CLI, base_env: dict[str, str], tmp_path: Path
) -> None:
    storage, env = _local(tmp_path, base_env)
    _put_aged(storage, "public/dashboard/manifest.json", TWO_DAYS)

    for prefix in ("public/", "", "recordings/../public"):
        result = cli.run("sweep", "--yes", "--prefix", prefix, **env)

        assert_one_clear_line(result, "--prefix")
    assert list(storage.list()) == ["public/dashboard/manifest.json"]


def test_sweep_on_s3_removes_an_old_orphan_and_keeps_a_fresh_one_a_referenced_one(
    cli: CLI, db: psycopg.Connection, base_env: dict[str, str], moto_url: str
) -> None:
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    admin = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1", **credentials)
    bucket = new_bucket_name()
    admin.create_bucket(Bucket=bucket)
    env = {
        **base_env,
        "STORAGE_BACKEND": "s3",
        "BUCKET_NAME": bucket,
        "S3_ENDPOINT_URL": moto_url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    old_orphan, fresh_orphan, recorded, lost = (recording_key() for _ in range(4))
    for key in (old_orphan, recorded):
        admin.put_object(Bucket=bucket, Key=key, Body=AUDIO)
    lost_id = add_recording(db, lost)
    add_recording(db, recorded)
    # S3 object times cannot be set, so age them for real: a grace of 8 s, objects 12 s apart
    # (S3 times are whole seconds; the command's start-up takes a second or two).
    time.sleep(12)
    admin.put_object(Bucket=bucket, Key=fresh_orphan, Body=AUDIO)
    grace = str(8 / 3600)

    dry = cli.run("sweep", "--grace", grace, "--dry-run", **env)
    result = cli.run("sweep", "--yes", "--grace", grace, **env)

    assert dry.returncode == 0 and result.returncode == 0, dry.stderr + result.stderr
    assert f"would remove orphan {old_orphan}" in dry.stdout
    listed = {o["Key"] for o in admin.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert listed == {fresh_orphan, recorded}
    assert f"removed orphan {old_orphan}" in result.stdout
    assert f"missing object {lost} (referenced by contributions id {lost_id})" in result.stdout
    assert "1 orphans removed, 1 orphans kept" in result.stdout
