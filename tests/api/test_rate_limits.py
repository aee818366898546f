"""Writes are limited per contributor and per client address: 429 + Retry-After, nothing
written past the limit, and the limit is per person, not for everyone."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from app.security.limits import LIMITS
from app.settings import Settings
from tests.api.conftest import count_rows, error_of, record


def known(client):
    """A visitor who already has the identity cookie (the first write of a new visitor makes
    the contributor, so only the per-client limit can count it)."""
    assert client.put("/api/v1/me/profile", json={}).status_code == 200
    return client


def _limit_per_minute(spec: str) -> int:
    return int(spec.split(";")[0].split(" per ")[0])


def test_votes_past_a_contributors_limit_get_429_with_retry_after(person, add_sentences, db):
    allowed = _limit_per_minute(LIMITS["validate.vote"].per_contributor)
    items = add_sentences(allowed + 1)
    # uploads are limited too: the recordings come from several speakers
    recordings = [record(person(), item) for item in items]
    voter = known(person())
    answers = [
        voter.post(f"/api/v1/recordings/{r}/votes", json={"verdict": "accept"}) for r in recordings
    ]
    assert [a.status_code for a in answers[:allowed]] == [201] * allowed
    refused = answers[allowed]
    assert error_of(refused) == (429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 0
    assert count_rows(db, "validations") == allowed

    # another person from the same address is not held back by the first one's votes
    other = person()
    response = other.post(f"/api/v1/recordings/{recordings[-1]}/votes", json={"verdict": "accept"})
    assert response.status_code == 201


@pytest.fixture
def many_uploads_allowed(add_sentences):
    return add_sentences(_limit_per_minute(LIMITS["speak.upload_recording"].per_contributor) + 1)


def test_uploads_past_the_limit_are_refused_before_anything_is_stored(
    person, many_uploads_allowed, db, app: Flask
):
    from tests.api.conftest import clip, stored_objects, upload

    speaker = known(person())
    allowed = len(many_uploads_allowed) - 1
    for item in many_uploads_allowed[:allowed]:
        assert upload(speaker, item, clip("hi_1.wav")).status_code == 201
    response = upload(speaker, many_uploads_allowed[-1], clip("hi_1.wav"))
    assert error_of(response) == (429, "rate_limited")
    assert count_rows(db, "contributions") == allowed
    assert len(stored_objects(app)) == allowed


def test_dropping_the_cookie_does_not_escape_the_client_limit(settings: Settings, database_url):
    app = create_app(settings, database_url=database_url)
    try:
        allowed = _limit_per_minute(LIMITS["contributors.save_profile"].per_client)
        statuses = [
            app.test_client().put("/api/v1/me/profile", json={}).status_code
            for _ in range(allowed + 1)
        ]
        assert statuses[:allowed] == [200] * allowed
        assert statuses[-1] == 429
    finally:
        app.extensions["crowdsource.db"].close()


def test_limits_can_be_switched_off_for_benchmarks(settings: Settings, database_url):
    from dataclasses import replace

    app = create_app(replace(settings, rate_limits=False), database_url=database_url)
    try:
        client = app.test_client()
        allowed = _limit_per_minute(LIMITS["contributors.save_profile"].per_contributor)
        answers = [client.put("/api/v1/me/profile", json={}) for _ in range(allowed + 5)]
        statuses = {answer.status_code for answer in answers}
        assert statuses == {200}
    finally:
        app.extensions["crowdsource.db"].close()


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A real Redis on loopback (Debian's redis-server), stopped after the test."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    from tests.live_server import free_port

    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_pods_sharing_redis_share_the_counts(settings: Settings, database_url, redis_url):
    from dataclasses import replace

    shared = replace(settings, redis_url=redis_url)
    pods = [create_app(shared, database_url=database_url) for _ in range(2)]
    try:
        allowed = _limit_per_minute(LIMITS["contributors.save_profile"].per_client)
        statuses = [
            pods[i % 2].test_client().put("/api/v1/me/profile", json={}).status_code
            for i in range(allowed + 1)
        ]
        # each pod alone saw about half of the requests: only shared counts refuse the last
        assert statuses[:allowed] == [200] * allowed
        assert statuses[-1] == 429
    finally:
        for pod in pods:
            pod.extensions["crowdsource.db"].close()


def test_writes_go_on_when_redis_is_down(settings: Settings, database_url):
    from dataclasses import replace

    from tests.live_server import free_port

    gone = replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(gone, database_url=database_url)
    try:
        response = app.test_client().put("/api/v1/me/profile", json={})
        assert response.status_code == 200
    finally:
        app.extensions["crowdsource.db"].close()
