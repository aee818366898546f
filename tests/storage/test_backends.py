"""What each backend does beyond the shared contract, and how `make_storage` picks one."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app.settings import Settings
from app.storage import InvalidKey, StorageError, make_storage
from app.storage.gcs import GCSStorage
from app.storage.local import LocalStorage
from app.storage.s3 import S3Storage

if TYPE_CHECKING:
    from tests.storage.conftest import GCSBackend, S3Backend

KEY = "dashboard/3/summary.json"


def test_s3_uploads_a_file_above_five_mebibytes_in_parts(s3_backend: S3Backend) -> None:
    storage = s3_backend.fresh()

    storage.put(KEY, io.BytesIO(os.urandom(6 * 1024 * 1024)))

    etag = s3_backend.admin.head_object(Bucket=storage.bucket, Key=KEY)["ETag"]
    assert etag.strip('"').endswith("-2")  # a multipart ETag counts its parts


def test_s3_stores_content_type_and_cache_control(s3_backend: S3Backend) -> None:
    storage = s3_backend.fresh()

    storage.put(KEY, b"{}", content_type="application/json", cache_control="max-age=60")

    head = s3_backend.admin.head_object(Bucket=storage.bucket, Key=KEY)
    assert (head["ContentType"], head["CacheControl"]) == ("application/json", "max-age=60")


def test_gcs_stores_content_type_and_cache_control(gcs_backend: GCSBackend) -> None:
    storage = gcs_backend.fresh()

    storage.put(KEY, io.BytesIO(b"{}"), content_type="application/json", cache_control="no-cache")

    blob = gcs_backend.admin.bucket(storage.bucket).get_blob(KEY)
    assert (blob.content_type, blob.cache_control) == ("application/json", "no-cache")


def test_gcs_emulator_credentials_cannot_sign_so_objects_are_streamed(
    gcs_backend: GCSBackend,
) -> None:
    storage = gcs_backend.fresh()
    storage.put(KEY, b"{}")

    assert storage.url(KEY) is None


def test_local_storage_leaves_only_the_object_and_its_sidecar(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "store")

    storage.put(KEY, b"{}", content_type="application/json")
    storage.put(KEY, b"[]", content_type="application/json")
    storage.check()

    files = sorted(p.name for p in (tmp_path / "store" / "dashboard" / "3").iterdir())
    assert files == [".summary.json.meta", "summary.json"]
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["dashboard"]
    assert list(storage.list()) == [KEY]


def test_local_storage_refuses_a_key_that_a_symlink_leads_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text("{}")
    root = tmp_path / "store"
    root.mkdir()
    (root / "dashboard").symlink_to(outside)
    storage = LocalStorage(root)

    with pytest.raises(InvalidKey):
        storage.get("dashboard/secret.json")
    with pytest.raises(InvalidKey):
        storage.put("dashboard/new.json", b"{}")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.json"]


def test_local_storage_guesses_the_content_type_of_a_file_dropped_in_by_hand(
    tmp_path: Path,
) -> None:
    (tmp_path / "dashboard").mkdir()
    (tmp_path / "dashboard" / "summary.json").write_bytes(b"{}")

    opened = LocalStorage(tmp_path).open("dashboard/summary.json")

    assert opened.content_type == "application/json"
    assert b"".join(opened.chunks) == b"{}"


def test_local_storage_explains_a_key_already_used_as_a_folder(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put("a/b/c.json", b"{}")

    with pytest.raises(StorageError, match="already a folder"):
        storage.put("a/b", b"{}")


def test_make_storage_builds_the_local_backend_on_the_storage_folder(tmp_path: Path) -> None:
    storage = make_storage(Settings(storage_backend="local", storage_dir=tmp_path / "objects"))

    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "objects"


def test_make_storage_builds_s3_against_the_configured_endpoint() -> None:
    settings = Settings(
        storage_backend="s3",
        bucket_name="speech-data",
        s3_endpoint_url="http://127.0.0.1:9000",
        aws_region="eu-west-1",
    )

    storage = make_storage(settings)

    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.endpoint) == ("speech-data", "http://127.0.0.1:9000")


def test_make_storage_builds_gcs_for_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9023")

    storage = make_storage(Settings(storage_backend="gcs", bucket_name="speech-data"))

    assert isinstance(storage, GCSStorage)
    assert (storage.bucket, storage.endpoint) == ("speech-data", "http://127.0.0.1:9023")


def test_local_storage_releases_the_file_when_a_reader_stops_before_the_first_chunk(
    tmp_path: Path,
) -> None:
    storage = LocalStorage(tmp_path)
    storage.put(KEY, b"{}")
    open_files = len(os.listdir("/proc/self/fd"))

    opened = storage.open(KEY)
    assert len(os.listdir("/proc/self/fd")) == open_files + 1
    opened.chunks.close()  # type: ignore[attr-defined]

    assert len(os.listdir("/proc/self/fd")) == open_files
    assert list(opened.chunks) == []


def test_gcs_signs_a_v4_url_when_its_credentials_hold_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from google.cloud import storage as gcs
    from google.oauth2 import service_account

    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    credentials = service_account.Credentials.from_service_account_info(
        {
            "type": "service_account",
            "client_email": "crowdsource@example-project.iam.gserviceaccount.com",
            "private_key": pem.decode(),
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )
    client = gcs.Client(project="example-project", credentials=credentials)

    url = GCSStorage("speech-data", client=client).url(KEY, expires_in=300)

    assert url is not None
    assert url.startswith(f"https://storage.googleapis.com/speech-data/{KEY}?")
    assert "X-Goog-Algorithm=GOOG4-RSA-SHA256" in url
    assert "X-Goog-Expires=300" in url
