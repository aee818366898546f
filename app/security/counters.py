"""Shared counts for the rate limits: one round trip adds a hit to several counters at once.

A counter is a fixed window (`Window`: what is counted, over how many seconds, for whom).
`hit` adds one to the current window of each counter and returns, for each, that count, the
previous window's count and how far into the current window we are: what the sliding-window
estimate in app/security/limits.py needs. `undo` takes a refused hit back, so a client that
keeps knocking once refused does not push its own wait further out.

Two stores with the same contract:
- `PostgresCounters` (always there: every mode has PostgreSQL): one statement on the app's
  pool into the UNLOGGED table `rate_limit_counts` (migration 0006), the database's clock for
  every pod. Expired rows are pruned by one check in PRUNE_EVERY, a bounded delete.
- `RedisCounters` (REDIS_URL): one pipeline. While Redis does not answer it counts in
  PostgreSQL instead, so the counts stay shared (it tries Redis again after REDIS_RETRY_S).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.db import Database

log = logging.getLogger(__name__)

PRUNE_EVERY = 200  # one check in this many also deletes expired rows
PRUNE_BATCH = 500  # at most this many rows per prune, so no check waits long on it
REDIS_RETRY_S = 30.0  # after Redis failed, count in PostgreSQL this long before trying again


@dataclass(frozen=True)
class Window:
    """One counter: `bucket` names what is counted over `seconds`; `key` is who."""

    bucket: str
    key: str
    seconds: int


@dataclass(frozen=True)
class Count:
    """A counter just after a hit: `current` includes the hit."""

    current: int
    previous: int
    elapsed: float  # seconds since the current window started
    window_start: int  # which window was hit (what `undo` takes back)


class Counters(Protocol):
    """A shared store of windowed counts."""

    def hit(self, windows: Sequence[Window]) -> list[Count]:
        """Add one to the current window of each counter; the counts, in the same order."""
        ...

    def undo(self, windows: Sequence[Window], counts: Sequence[Count]) -> None:
        """Take back the hits that `hit` returned as `counts`."""
        ...


# Rows are locked in (bucket, key) order by both statements, so two checks that share a counter
# (one address, two sessions) cannot deadlock. statement_timestamp(): one clock for all pods.
_HIT = """
WITH asked AS (
    SELECT a.bucket, a.key, a.seconds, extract(epoch FROM statement_timestamp()) AS now
      FROM unnest(%(buckets)s::text[], %(keys)s::text[], %(seconds)s::int[])
           AS a(bucket, key, seconds)
), slots AS (
    SELECT bucket, key, seconds, now, (floor(now / seconds) * seconds)::bigint AS start
      FROM asked
), counted AS (
    INSERT INTO rate_limit_counts AS c (bucket, key, window_start, expires_at, n)
    SELECT bucket, key, start, start + 2 * seconds, 1 FROM slots ORDER BY bucket, key
    ON CONFLICT (bucket, key, window_start) DO UPDATE SET n = c.n + 1
    RETURNING c.bucket, c.key, c.n
)
SELECT s.bucket, s.key, counted.n AS current, coalesce(p.n, 0) AS previous,
       (s.now - s.start)::float8 AS elapsed, s.start
  FROM slots s
  JOIN counted ON counted.bucket = s.bucket AND counted.key = s.key
  LEFT JOIN rate_limit_counts p
         ON p.bucket = s.bucket AND p.key = s.key AND p.window_start = s.start - s.seconds
"""

_UNDO = """
INSERT INTO rate_limit_counts AS c (bucket, key, window_start, expires_at, n)
SELECT bucket, key, start, start + 2 * seconds, 0
  FROM unnest(%(buckets)s::text[], %(keys)s::text[], %(seconds)s::int[], %(starts)s::bigint[])
       AS u(bucket, key, seconds, start)
 ORDER BY bucket, key
ON CONFLICT (bucket, key, window_start) DO UPDATE SET n = greatest(c.n - 1, 0)
"""

_PRUNE = """
DELETE FROM rate_limit_counts
 WHERE (bucket, key, window_start) IN (
        SELECT bucket, key, window_start FROM rate_limit_counts
         WHERE expires_at < extract(epoch FROM statement_timestamp())
         LIMIT %(batch)s)
"""


class PostgresCounters:
    """Counts in the app's PostgreSQL (`rate_limit_counts`), through its connection pool.

    Raises DatabaseUnavailable (from the pool) when the database cannot be reached.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    def hit(self, windows: Sequence[Window]) -> list[Count]:
        params = _columns(windows)
        with self._database.connection() as conn:
            rows = conn.execute(_HIT, params).fetchall()
            if random.randrange(PRUNE_EVERY) == 0:
                conn.execute(_PRUNE, {"batch": PRUNE_BATCH})
        by_counter = {(r["bucket"], r["key"]): r for r in rows}
        counts = []
        for window in windows:
            row = by_counter[(window.bucket, window.key)]
            counts.append(
                Count(row["current"], row["previous"], float(row["elapsed"]), row["start"])
            )
        return counts

    def undo(self, windows: Sequence[Window], counts: Sequence[Count]) -> None:
        params = _columns(windows) | {"starts": [c.window_start for c in counts]}
        with self._database.connection() as conn:
            conn.execute(_UNDO, params)


def _columns(windows: Sequence[Window]) -> dict[str, list[str] | list[int]]:
    """The windows as the parallel arrays the statements unnest."""
    return {
        "buckets": [w.bucket for w in windows],
        "keys": [w.key for w in windows],
        "seconds": [w.seconds for w in windows],
    }


class RedisCounters:
    """Counts in Redis (REDIS_URL), falling back to `fallback` while Redis does not answer.

    Windows follow this host's clock (pods' clocks are kept in step by NTP).
    """

    def __init__(self, url: str, fallback: Counters) -> None:
        import redis  # only needed when REDIS_URL is set

        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self._fallback = fallback
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _redis_is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _note_failure(self, exc: Exception) -> None:
        with self._lock:
            if not self._redis_is_down():
                log.warning(
                    "rate-limit counts go to PostgreSQL for %ds: Redis failed (%s)",
                    REDIS_RETRY_S,
                    type(exc).__name__,
                )
            self._down_until = time.monotonic() + REDIS_RETRY_S

    @staticmethod
    def _name(window: Window, start: int) -> str:
        return f"crowdsource:rl:{window.bucket}:{window.key}:{start}"

    def hit(self, windows: Sequence[Window]) -> list[Count]:
        if self._redis_is_down():
            return self._fallback.hit(windows)
        now = time.time()
        starts = [int(now // w.seconds) * w.seconds for w in windows]
        try:
            pipe = self._redis.pipeline(transaction=False)
            for window, start in zip(windows, starts, strict=True):
                pipe.incr(self._name(window, start))
                pipe.expire(self._name(window, start), 2 * window.seconds)
                pipe.get(self._name(window, start - window.seconds))
            replies = pipe.execute()
        except self._errors as exc:
            self._note_failure(exc)
            return self._fallback.hit(windows)
        return [
            Count(int(replies[3 * i]), int(replies[3 * i + 2] or 0), now - start, start)
            for i, start in enumerate(starts)
        ]

    def undo(self, windows: Sequence[Window], counts: Sequence[Count]) -> None:
        if self._redis_is_down():
            self._fallback.undo(windows, counts)
            return
        try:
            pipe = self._redis.pipeline(transaction=False)
            for window, count in zip(windows, counts, strict=True):
                pipe.decr(self._name(window, count.window_start))
            pipe.execute()
        except self._errors as exc:
            self._note_failure(exc)  # the refused hit stays counted: a stricter limit, briefly
