"""The limits a client meets against `crowdsource serve` with its default 4 workers are exactly
the documented ones: the counts are shared by the workers (in PostgreSQL), not kept in each
one's memory (where the same bursts got up to 4 times through).

Each burst is sent on fresh connections from several threads at once, so gunicorn hands its
requests to different workers. PROXY_HOPS=1 lets each test speak from addresses of its own
(X-Forwarded-For), as clients behind an ingress do."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from app.security.limits import LIMITS, NEW_SESSIONS_PER_ADDRESS, parse_rates
from tests.conftest import _fresh_database
from tests.live.conftest import live_app_in
from tests.live_server import LiveApp

pytestmark = pytest.mark.slow

EXTRA = 10  # requests sent past each limit
THREADS = 8


def per_minute(spec: str) -> int:
    return next(r.count for r in parse_rates(spec) if r.seconds == 60)


@pytest.fixture(scope="module")
def server(
    admin_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveApp, str]]:
    """One server with limits on, as an operator runs it (4 workers of 4 threads)."""
    for database_url in _fresh_database(admin_url, template_db):
        env = {"RATE_LIMITS": "on", "WEB_CONCURRENCY": "4", "THREADS": "4", "PROXY_HOPS": "1"}
        with live_app_in(tmp_path_factory.mktemp("limits"), database_url, **env) as app:
            yield app, database_url


def away_from_a_minute_edge(needed: float) -> None:
    """A burst that straddles two minute windows is counted by the sliding estimate, not
    exactly: start it early in a minute."""
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.2)


def new_session(url: str, address: str) -> requests.Response:
    """POST /api/v1/session from `address`."""
    response = requests.post(
        f"{url}/api/v1/session", headers={"X-Forwarded-For": address}, timeout=30
    )
    if response.status_code in (404, 405):
        pytest.skip("POST /api/v1/session is not there yet")
    return response


def burst(n: int, send: Callable[[int], requests.Response]) -> list[requests.Response]:
    """`n` requests from THREADS threads at once, each on a new connection."""
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(send, range(n)))


def assert_exactly(answers: list[requests.Response], allowed: int, status: int) -> None:
    statuses = sorted(a.status_code for a in answers)
    assert statuses == sorted([status] * allowed + [429] * (len(answers) - allowed)), statuses
    for refused in (a for a in answers if a.status_code == 429):
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) > 0


def test_one_session_gets_exactly_its_limit_across_workers(server: tuple[LiveApp, str]) -> None:
    app, database_url = server
    with psycopg.connect(database_url) as conn:
        (item,) = conn.execute(
            "SELECT id FROM dataset_rows WHERE kind = 'sentence' AND is_active LIMIT 1"
        ).fetchone()
    address = "203.0.113.10"
    created = new_session(app.url, address)
    assert created.status_code == 201, created.text
    cookies = created.cookies
    allowed = per_minute(LIMITS["speak.skip"].per_session)
    away_from_a_minute_edge(20)

    def skip(_: int) -> requests.Response:
        return requests.post(
            f"{app.url}/api/v1/sentences/{item}/skip",
            cookies=cookies,
            headers={"X-Forwarded-For": address},
            timeout=30,
        )

    assert_exactly(burst(allowed + EXTRA, skip), allowed, 200)


def test_one_address_gets_exactly_its_new_sessions_across_workers(
    server: tuple[LiveApp, str],
) -> None:
    app, _ = server
    allowed = per_minute(NEW_SESSIONS_PER_ADDRESS)
    away_from_a_minute_edge(20)
    answers = burst(allowed + EXTRA, lambda _: new_session(app.url, "203.0.113.20"))
    assert_exactly(answers, allowed, 201)
    assert new_session(app.url, "203.0.113.21").status_code == 201  # another address


def test_sessions_swapped_from_one_address_meet_its_limit_across_workers(
    server: tuple[LiveApp, str],
) -> None:
    app, _ = server
    limit = LIMITS["contributors.save_profile"]
    per_session, per_address = per_minute(limit.per_session), per_minute(limit.per_address)
    # sessions made at addresses of their own, then all used from one address
    addresses = [f"198.51.100.{i + 1}" for i in range(per_address // per_session + 1)]
    sessions = [new_session(app.url, address) for address in addresses]
    assert {s.status_code for s in sessions} == {201}
    away_from_a_minute_edge(20)

    def save(i: int) -> requests.Response:
        return requests.put(
            f"{app.url}/api/v1/me/profile",
            json={},
            cookies=sessions[i % len(sessions)].cookies,
            headers={"X-Forwarded-For": "192.0.2.30"},
            timeout=30,
        )

    assert_exactly(burst(per_address + EXTRA, save), per_address, 200)


def test_the_counts_are_in_the_database(server: tuple[LiveApp, str]) -> None:
    _, database_url = server
    with psycopg.connect(database_url) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM rate_limit_counts").fetchone()
    assert rows > 0
