"""Writes are limited per session and per client address, new sessions per address: 429 +
Retry-After, nothing done past a limit, and the counts are shared by every app instance
(worker or pod) that uses the same database, or the same Redis."""

from __future__ import annotations

import itertools
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.security import counters
from app.security.counters import Count
from app.security.limits import (
    LIMITS,
    NEW_SESSION_ENDPOINT,
    NEW_SESSIONS_PER_ADDRESS,
    Rate,
    _wait,
    new_session_allowed,
    parse_rates,
)
from app.settings import Settings
from tests.api.conftest import clip, count_rows, error_of, stored_objects, upload
from tests.live_server import free_port

_addresses = (f"10.{i // 250}.{i % 250}.1" for i in itertools.count(1))


def per_minute(spec: str) -> int:
    """The per-minute number of a limit ("20 per minute;400 per hour" -> 20)."""
    return next(r.count for r in parse_rates(spec) if r.seconds == 60)


def from_address(app: Flask, address: str | None = None) -> FlaskClient:
    """A browser with an empty cookie jar, at its own address unless one is given."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or next(_addresses)
    return client


def with_session(client: FlaskClient) -> FlaskClient:
    """Give the browser a session the way the page's script does (on a server without the
    session endpoint, a first write made one: a profile save, counted for the address only)."""
    response = client.post("/api/v1/session")
    if response.status_code in (404, 405):
        response = client.put("/api/v1/me/profile", json={})
    assert response.status_code in (200, 201), response.get_json()
    return client


def away_from_a_minute_edge(needed: float) -> None:
    """Wait for the next minute if fewer than `needed` seconds are left in this one: a burst
    that straddles two windows is counted by the sliding estimate, not exactly."""
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.2)


@pytest.fixture
def person(app: Flask) -> Callable[[], FlaskClient]:
    """A new visitor with a session, each at an address of their own."""
    return lambda: with_session(from_address(app))


def test_writes_past_a_sessions_limit_get_429_with_retry_after_and_do_nothing(
    person, add_sentences, db
):
    allowed = per_minute(LIMITS["speak.skip"].per_session)
    items = add_sentences(allowed + 3)
    skipper = person()
    away_from_a_minute_edge(20)
    answers = [skipper.post(f"/api/v1/sentences/{item}/skip") for item in items]

    assert [a.status_code for a in answers[:allowed]] == [200] * allowed
    for refused in answers[allowed:]:
        assert error_of(refused) == (429, "rate_limited")
        assert int(refused.headers["Retry-After"]) > 0
    assert count_rows(db, "skips") == allowed
    counted = db.execute(
        "SELECT n FROM rate_limit_counts WHERE bucket = 'speak.skip/60' AND key LIKE 'session:%'"
    ).fetchone()
    assert counted["n"] == allowed  # the refused ones are not counted

    # another person is not held back by the first one's skips
    assert person().post(f"/api/v1/sentences/{items[-1]}/skip").status_code == 200


def test_votes_past_a_sessions_limit_get_429(person, add_sentences, app):
    from tests.api.conftest import record

    allowed = per_minute(LIMITS["validate.vote"].per_session)
    recording = record(person(), add_sentences(1)[0])
    voter = person()
    away_from_a_minute_edge(20)
    # the first vote counts (or waits for listening), the next ones are repeats: every one of
    # them is a vote request, and the limit counts requests
    answers = [
        voter.post(f"/api/v1/recordings/{recording}/votes", json={"verdict": "accept"})
        for _ in range(allowed + 1)
    ]
    assert 429 not in [a.status_code for a in answers[:allowed]]
    assert error_of(answers[allowed]) == (429, "rate_limited")
    assert int(answers[allowed].headers["Retry-After"]) > 0


def test_uploads_past_the_limit_are_refused_before_anything_is_stored(
    person, add_sentences, db, app: Flask
):
    allowed = per_minute(LIMITS["speak.upload_recording"].per_session)
    items = add_sentences(allowed + 1)
    speaker = person()
    away_from_a_minute_edge(40)
    for item in items[:allowed]:
        assert upload(speaker, item, clip("hi_1.wav")).status_code == 201
    response = upload(speaker, items[-1], clip("hi_1.wav"))
    assert error_of(response) == (429, "rate_limited")
    assert count_rows(db, "contributions") == allowed
    assert len(stored_objects(app)) == allowed


def test_swapping_sessions_does_not_escape_the_address_limit(app: Flask, db):
    per_session = per_minute(LIMITS["contributors.save_profile"].per_session)
    per_address = per_minute(LIMITS["contributors.save_profile"].per_address)
    # sessions made elsewhere, then all used from one address
    sessions = [with_session(from_address(app)) for _ in range(per_address // per_session + 2)]
    for browser in sessions:
        browser.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    away_from_a_minute_edge(20)
    statuses = [
        browser.put("/api/v1/me/profile", json={}).status_code
        for browser in sessions
        for _ in range(per_session)
    ]
    assert statuses.count(200) == per_address
    assert set(statuses) == {200, 429}


def test_an_ipv6_client_is_counted_by_its_64(app: Flask):
    per_address = per_minute(LIMITS["contributors.save_profile"].per_address)
    per_session = per_minute(LIMITS["contributors.save_profile"].per_session)
    away_from_a_minute_edge(20)
    statuses = []
    for host in range(per_address // per_session + 1):
        browser = with_session(from_address(app))
        browser.environ_base["REMOTE_ADDR"] = f"2001:db8:0:1::{host + 1:x}"  # one /64
        statuses += [
            browser.put("/api/v1/me/profile", json={}).status_code for _ in range(per_session)
        ]
    assert statuses.count(200) == per_address
    elsewhere = with_session(from_address(app, "2001:db8:0:2::1"))
    assert elsewhere.put("/api/v1/me/profile", json={}).status_code == 200


def test_new_sessions_per_address_meet_the_documented_limit(app: Flask):
    allowed = per_minute(NEW_SESSIONS_PER_ADDRESS)
    away_from_a_minute_edge(10)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.4"}):
        waits = [new_session_allowed() for _ in range(allowed + 2)]
    assert waits[:allowed] == [None] * allowed
    assert all(isinstance(w, int) and w > 0 for w in waits[allowed:])
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.5"}):
        assert new_session_allowed() is None  # another address is not held back


def test_the_session_endpoint_meets_the_new_session_limit(app: Flask):
    if NEW_SESSION_ENDPOINT not in app.view_functions:
        pytest.skip("POST /api/v1/session is not there yet")
    allowed = per_minute(NEW_SESSIONS_PER_ADDRESS)
    away_from_a_minute_edge(10)
    answers = [
        from_address(app, "198.51.100.9").post("/api/v1/session") for _ in range(allowed + 2)
    ]
    assert [a.status_code for a in answers[:allowed]] == [201] * allowed
    for refused in answers[allowed:]:
        assert error_of(refused) == (429, "rate_limited")
        assert int(refused.headers["Retry-After"]) > 0


def test_every_write_endpoint_is_limited(app: Flask):
    writes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
    }
    assert writes - set(LIMITS) <= {NEW_SESSION_ENDPOINT}
    assert set(LIMITS) - {"mydata.export"} <= writes  # one read limited too: a zip is costly


def test_app_instances_on_one_database_share_the_counts(settings: Settings, database_url):
    pods = [create_app(settings, database_url=database_url) for _ in range(3)]
    try:
        allowed = per_minute(LIMITS["contributors.save_profile"].per_session)
        browser = with_session(from_address(pods[0]))
        away_from_a_minute_edge(10)
        statuses = []
        for i in range(allowed + 2):
            # the same browser (cookie) each time, served by another instance
            pod_client = from_address(pods[i % 3], browser.environ_base["REMOTE_ADDR"])
            cookie = browser.get_cookie("cs_id")
            assert cookie is not None
            pod_client.set_cookie("cs_id", cookie.value)
            statuses.append(pod_client.put("/api/v1/me/profile", json={}).status_code)
        assert statuses == [200] * allowed + [429, 429]
    finally:
        for pod in pods:
            pod.extensions["crowdsource.db"].close()


def test_retry_after_is_when_the_same_request_would_be_taken():
    # 10 a minute, 10 counted in the previous window, 30 s into this one: half of them still
    # weigh, so 5 more are allowed now
    rate = Rate(10, 60)
    assert _wait(rate, Count(current=5, previous=10, elapsed=30.0, window_start=0)) is None
    wait = _wait(rate, Count(current=6, previous=10, elapsed=30.0, window_start=0))
    assert wait == 6  # at 36 s, 10 * 24/60 + 6 = 10
    # a full window: the next one, once enough of this one has slid out
    assert _wait(rate, Count(current=11, previous=0, elapsed=50.0, window_start=0)) == 10 + 6


def test_expired_counts_are_pruned(app: Flask, db, monkeypatch):
    monkeypatch.setattr(counters, "PRUNE_EVERY", 1)
    db.execute(
        "INSERT INTO rate_limit_counts VALUES ('old/60', 'address:x', 60, 180, 3),"
        " ('fresh/60', 'address:x', 9999999960, 10000000080, 3)"
    )
    assert with_session(from_address(app)).put("/api/v1/me/profile", json={}).status_code == 200
    buckets = {r["bucket"] for r in db.execute("SELECT bucket FROM rate_limit_counts")}
    assert "old/60" not in buckets and "fresh/60" in buckets


def test_limits_can_be_switched_off_for_benchmarks(settings: Settings, database_url):
    app = create_app(replace(settings, rate_limits=False), database_url=database_url)
    try:
        client = with_session(from_address(app))
        allowed = per_minute(LIMITS["contributors.save_profile"].per_session)
        answers = [client.put("/api/v1/me/profile", json={}) for _ in range(allowed + 5)]
        assert {answer.status_code for answer in answers} == {200}
        with app.test_request_context():
            assert new_session_allowed() is None
    finally:
        app.extensions["crowdsource.db"].close()


def test_a_broken_count_table_lets_writes_through(app: Flask, db):
    browser = with_session(from_address(app))
    db.execute("DROP TABLE rate_limit_counts")
    assert browser.put("/api/v1/me/profile", json={}).status_code == 200
    with app.test_request_context():
        assert new_session_allowed() is None


def test_with_the_database_down_a_write_is_503_not_500(settings: Settings):
    gone = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    app = create_app(replace(settings, database_url=gone, db_connect_timeout=1), database_url=gone)
    try:
        response = from_address(app).put("/api/v1/me/profile", json={})
        assert error_of(response) == (503, "database_unavailable")
        assert int(response.headers["Retry-After"]) > 0
        with app.test_request_context():
            assert new_session_allowed() is None  # the page still shows
    finally:
        app.extensions["crowdsource.db"].close()


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A real Redis on loopback (Debian's redis-server), stopped after the test."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
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


def test_pods_sharing_redis_share_the_counts(settings: Settings, database_url, redis_url, db):
    shared = replace(settings, redis_url=redis_url)
    pods = [create_app(shared, database_url=database_url) for _ in range(2)]
    try:
        allowed = per_minute(LIMITS["contributors.save_profile"].per_address)
        per_session = per_minute(LIMITS["contributors.save_profile"].per_session)
        browsers = [
            with_session(from_address(pods[i % 2])) for i in range(allowed // per_session + 1)
        ]
        for browser in browsers:
            browser.environ_base["REMOTE_ADDR"] = "192.0.2.9"
        away_from_a_minute_edge(20)
        statuses = [
            b.put("/api/v1/me/profile", json={}).status_code
            for b in browsers
            for _ in range(per_session)
        ]
        # each pod alone saw about half of the requests: only shared counts refuse the rest
        assert statuses.count(200) == allowed
        assert count_rows(db, "rate_limit_counts") == 0  # counted in Redis, not PostgreSQL
    finally:
        for pod in pods:
            pod.extensions["crowdsource.db"].close()


def test_writes_go_on_counted_in_postgresql_when_redis_is_down(
    settings: Settings, database_url, db
):
    gone = replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(gone, database_url=database_url)
    try:
        response = with_session(from_address(app)).put("/api/v1/me/profile", json={})
        assert response.status_code == 200
        assert count_rows(db, "rate_limit_counts") > 0
    finally:
        app.extensions["crowdsource.db"].close()


def _in_words(spec: str) -> str:
    """ "20 per minute;400 per hour" -> "20 a minute, 400 an hour" (the README's wording)."""
    units = {60: "a minute", 3600: "an hour", 86_400: "a day"}
    return ", ".join(f"{r.count:,} {units[r.seconds]}" for r in parse_rates(spec))


def test_the_readme_states_the_limits_the_server_enforces(app: Flask):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:4]]
        for line in readme.split("### Limits", 1)[1].split("\n## ", 1)[0].splitlines()
        if line.startswith("| ")
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint in LIMITS:
            writes = sorted(rule.methods & {"POST", "PUT", "DELETE", "PATCH"})
            method = writes[0] if writes else "GET"  # a read limited too: the my-data zip
            path = re.sub(r"<[^>]+>", "{id}", rule.rule)
            row = next(
                cells for name, cells in rows.items() if name.startswith(f"`{method} {path}`")
            )
            limit = LIMITS[rule.endpoint]
            assert row == [_in_words(limit.per_session), _in_words(limit.per_address)], path
    new_session = next(cells for name, cells in rows.items() if "new session" in name)
    assert new_session == ["–", _in_words(NEW_SESSIONS_PER_ADDRESS)]


@pytest.mark.parametrize("spec", ["20 a minute", "20 per fortnight", "10 per minute;20 per minute"])
def test_a_malformed_limit_is_refused_when_the_table_is_read(spec: str):
    with pytest.raises(ValueError):
        parse_rates(spec)
