"""Settings: one typed object from the environment; bad values name their variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import SettingsError
from app.settings import Settings, load_settings, with_secret_key

SECRET = {"SECRET_KEY": "0123456789abcdef0123"}


def test_nothing_configured_means_embedded_database_and_local_storage(tmp_path: Path) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path)})

    assert settings.embedded
    assert settings.storage_backend == "local"
    assert settings.local_storage_dir == tmp_path / "storage"
    assert settings.pgdata_dir == tmp_path / "pgdata"
    assert settings.port == 8080


def test_original_platform_names_build_the_database_url() -> None:
    settings = load_settings(
        {
            "DB_HOST": "db.internal",
            "DB_USER": "app",
            "DB_PASS": "p@ss:w/rd",
            "DB_NAME": "speech",
            "PORT": "9000",
            "BUCKET_NAME": "my-bucket",
            "ENCRYPTION_KEY": "x" * 20,
        }
    )

    assert settings.database_url == "postgresql://app:p%40ss%3Aw%2Frd@db.internal:5432/speech"
    assert settings.port == 9000
    assert settings.bucket_name == "my-bucket"
    assert settings.secret_key == "x" * 20


def test_database_url_wins_over_db_host() -> None:
    settings = load_settings({"DATABASE_URL": "postgresql://a@h1/d", "DB_HOST": "h2", **SECRET})
    assert settings.database_url == "postgresql://a@h1/d"


@pytest.mark.parametrize(
    ("environ", "variable", "fragment"),
    [
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL", "must start with postgresql://"),
        ({"DATABASE_URL": "postgresql://u:secret@[bad", **SECRET}, "DATABASE_URL", "not a valid"),
        ({"DATABASE_URL": "postgresql://h:port/d", **SECRET}, "DATABASE_URL", "is not a number"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND", "unknown value 'ftp'"),
        ({"STORAGE_BACKEND": "s3"}, "BUCKET_NAME", "required when STORAGE_BACKEND=s3"),
        ({"BUCKET_NAME": "B"}, "BUCKET_NAME", "not a valid bucket name"),
        ({"PORT": "eighty"}, "PORT", "not a whole number"),
        ({"PORT": "70000"}, "PORT", "out of range"),
        ({"DB_USER": "app"}, "DB_HOST", "required when DB_USER is set"),
        ({"DATABASE_URL": "postgresql://h/d"}, "SECRET_KEY", "required"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY", "too short"),
        ({"CDN_BASE_URL": "cdn.example.org"}, "CDN_BASE_URL", "not an http(s) URL"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL", "unknown value"),
        ({"DB_POOL_MIN": "5", "DB_POOL_MAX": "2"}, "DB_POOL_MAX", "at least DB_POOL_MIN"),
    ],
)
def test_a_bad_setting_names_the_variable_and_the_problem(
    environ: dict[str, str], variable: str, fragment: str
) -> None:
    with pytest.raises(SettingsError) as failure:
        load_settings(environ)

    assert failure.value.variable == variable
    assert failure.value.message.startswith(f"{variable}: ")
    assert fragment in failure.value.message
    assert "secret" not in failure.value.message.replace("SECRET_KEY", "")


def test_embedded_mode_keeps_a_generated_secret_key_across_starts(tmp_path: Path) -> None:
    first = with_secret_key(Settings(data_dir=tmp_path))
    second = with_secret_key(Settings(data_dir=tmp_path))

    assert first.secret_key and len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_warm_up_that_cannot_be_passed_stops_start_up() -> None:
    with pytest.raises(SettingsError, match="WARMUP_MIN_AGREED"):
        load_settings({"WARMUP_CLIPS": "3", "WARMUP_MIN_AGREED": "4"})
    settings = load_settings({"WARMUP_CLIPS": "0", "WARMUP_MIN_AGREED": "0"})
    assert (settings.warmup_clips, settings.listen_percent) == (0, 80)
