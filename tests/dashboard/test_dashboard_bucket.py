"""With DASHBOARD_BUCKET_NAME, the dashboard is published to its own bucket (the one a CDN
reads), never to the recordings bucket; the app serves it from there too."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from app import create_app
from app.dashboard.publish import MANIFEST_KEY
from app.errors import SettingsError
from app.settings import load_settings
from tests.conftest import TEST_SECRET
from tests.storage.conftest import moto_url, new_bucket_name  # noqa: F401 (fixture)


def _keys(admin, bucket: str) -> set[str]:
    return {o["Key"] for o in admin.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_refresh_publishes_to_the_dashboard_bucket_only(cli, moto_url, database_url, settings):  # noqa: F811
    admin = boto3.client(
        "s3", endpoint_url=moto_url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    recordings, dashboard = new_bucket_name(), new_bucket_name()
    admin.create_bucket(Bucket=recordings)
    admin.create_bucket(Bucket=dashboard)
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "STORAGE_BACKEND": "s3",
        "BUCKET_NAME": recordings,
        "DASHBOARD_BUCKET_NAME": dashboard,
        "S3_ENDPOINT_URL": moto_url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    result = cli.run("refresh", **env)
    assert result.returncode == 0, result.stderr
    assert MANIFEST_KEY in _keys(admin, dashboard)
    assert _keys(admin, recordings) == set()

    app_settings = replace(
        settings,
        storage_backend="s3",
        bucket_name=recordings,
        dashboard_bucket_name=dashboard,
        s3_endpoint_url=moto_url,
        aws_region="us-east-1",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        app = create_app(app_settings, database_url=database_url)
        try:
            response = app.test_client().get("/" + MANIFEST_KEY)
            assert response.status_code == 200
            assert response.get_json()["files"]
        finally:
            app.extensions["crowdsource.db"].close()


def test_a_dashboard_bucket_needs_a_cloud_backend():
    with pytest.raises(SettingsError, match="DASHBOARD_BUCKET_NAME: needs STORAGE_BACKEND s3"):
        load_settings({"DASHBOARD_BUCKET_NAME": "crowdsource-dashboard"})
