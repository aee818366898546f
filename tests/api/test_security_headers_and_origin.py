"""Every page and API answer carries the security headers; another site's page cannot change
anything (the strict Origin check of ADR 0007)."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.settings import Settings
from app.storage import make_storage
from tests.api.conftest import count_rows, error_of, record


def _get_paths(app: Flask) -> list[str]:
    """Every GET route of the app, with `hi` for a language code and a sample for other
    parameters (a 404 page must carry the headers too)."""
    samples = {"code": "hi", "name": "dashboard/manifest.json", "item_id": "1",
               "public_id": "00000000-0000-0000-0000-000000000000"}  # fmt: skip
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", samples.get(argument, "x"))
            path = path.replace(f"<path:{argument}>", samples.get(argument, "x"))
            path = path.replace(f"<int:{argument}>", samples.get(argument, "1"))
            path = path.replace(f"<uuid:{argument}>", samples["public_id"])
        paths.append(path)
    return sorted(set(paths))


def test_every_page_and_answer_carries_the_security_headers(app: Flask, client: FlaskClient):
    paths = _get_paths(app)
    assert {"/", "/speak/hi", "/validate/hi", "/dashboard", "/api/v1/languages"} <= set(paths)
    for path in [*paths, "/no/such/page", "/static/site.css"]:
        response = client.get(path)
        headers = response.headers
        assert response.status_code < 500, (path, response.status_code)
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp, path
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert "object-src 'none'" in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert "microphone=(self)" in headers["Permissions-Policy"], path
        assert "Strict-Transport-Security" not in headers, f"{path}: HSTS over plain HTTP"


def test_hsts_and_secure_cookie_only_over_tls(client: FlaskClient):
    response = client.post("/api/v1/session")
    assert response.status_code == 201
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]

    tls = client.application.test_client()
    response = tls.post("/api/v1/session", base_url="https://localhost")
    assert response.status_code == 201
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_dashboard_cdn_is_the_only_other_host_pages_may_fetch(settings: Settings, tmp_path):
    from app.security.headers import content_security_policy

    with_cdn = Settings(**{**settings.__dict__, "cdn_base_url": "https://d1.cloudfront.net/x/"})
    policy = content_security_policy(with_cdn, make_storage(with_cdn))
    assert "connect-src 'self' https://d1.cloudfront.net;" in policy
    assert "media-src 'self' blob:;" in policy  # local storage: the app streams the audio


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({"Origin": "https://evil.example"}, True),
        ({"Origin": "null"}, True),
        ({"Sec-Fetch-Site": "cross-site"}, True),
        ({"Origin": "http://localhost"}, False),  # our own page
        ({"Sec-Fetch-Site": "same-origin"}, False),
        ({}, False),  # not a browser page: curl, the load and functional tests
    ],
)
def test_a_cross_site_vote_is_refused_and_changes_nothing(
    person, add_sentences, db, headers, refused
):
    (item,) = add_sentences(1)
    recording = record(person(), item)
    voter = person()
    response = voter.post(
        f"/api/v1/recordings/{recording}/votes", json={"verdict": "accept"}, headers=headers
    )
    if refused:
        assert error_of(response) == (403, "cross_site_request")
        assert count_rows(db, "validations") == 0
        assert "Set-Cookie" not in response.headers
    else:
        assert response.status_code == 201, response.get_json()
        assert count_rows(db, "validations") == 1


def test_a_cross_site_upload_is_refused_before_anything_is_stored(
    client: FlaskClient, app: Flask, add_sentences, db
):
    from tests.api.conftest import clip, stored_objects

    (item,) = add_sentences(1)
    response = client.post(
        "/api/v1/recordings",
        data={
            "item_id": str(item),
            "idempotency_key": "k" * 32,
            "audio": (io.BytesIO(clip("hi_1.wav")), "a.wav"),
        },
        content_type="multipart/form-data",
        headers={"Origin": "https://evil.example"},
    )
    assert error_of(response) == (403, "cross_site_request")
    assert count_rows(db, "contributions") == 0
    assert stored_objects(app) == []


def test_reading_is_allowed_from_anywhere(client: FlaskClient):
    response = client.get("/api/v1/languages", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200


def test_every_answer_carries_a_request_id_and_honours_the_ingress_one(client: FlaskClient):
    first = client.get("/api/v1/languages").headers["X-Request-ID"]
    second = client.get("/api/v1/languages").headers["X-Request-ID"]
    assert first != second and len(first) >= 16
    given = client.get("/healthz", headers={"X-Request-ID": "ingress-abc-12345"})
    assert given.headers["X-Request-ID"] == "ingress-abc-12345"
    junk = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert junk.headers["X-Request-ID"] != "<script>"


def test_json_routes_take_small_bodies_and_no_forms(person, add_sentences):
    (item,) = add_sentences(1)
    recording = record(person(), item)
    voter = person()
    big = {"verdict": "accept", "padding": "x" * 100_000}
    assert error_of(voter.post(f"/api/v1/recordings/{recording}/votes", json=big)) == (
        413,
        "too_large",
    )
    form = voter.post(
        f"/api/v1/sentences/{item}/skip",
        data={"file": (io.BytesIO(b"x" * 1000), "x.bin")},
        content_type="multipart/form-data",
    )
    assert error_of(form) == (415, "unsupported_media_type")


def test_signed_links_storage_is_allowed_for_clips_and_images(settings: Settings, monkeypatch):
    """With S3 the audio, clips and images to label come from the bucket's host (a presigned
    link, made locally without a request), so both media-src and img-src name it."""
    from app.security.headers import content_security_policy

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    s3 = Settings(**{
        **settings.__dict__, "storage_backend": "s3", "bucket_name": "crowd",
        "s3_endpoint_url": "http://127.0.0.1:9", "aws_region": "us-east-1",
    })  # fmt: skip
    policy = content_security_policy(s3, make_storage(s3))
    assert "media-src 'self' blob: http://127.0.0.1:9;" in policy
    assert "img-src 'self' data: http://127.0.0.1:9;" in policy
