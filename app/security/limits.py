"""Abuse limits: every write per session and per client address, and new sessions per
address; past a limit, 429 `rate_limited` + Retry-After and nothing is done.

**Shared counts.** The counts live in PostgreSQL (app/security/counters.py; every mode has
it, the embedded default included), or in Redis when REDIS_URL is set, so every worker and
every pod counts against the same numbers: with 4 workers a client meets exactly the limits
below, not 4 times them. A check is one statement on the app's pool. When the database is down
a limited write answers 503 `database_unavailable` at once (it could not be served anyway, and
waiting for the pool twice would only double the wait); any other failure of the counts lets
the request through and logs a warning: a broken limiter must not take the contributor loop
down with it.

**Windows.** "20 per minute" means at most 20 in any 60 s, estimated from two fixed windows
(the current one, and the previous one weighted by how much of it still falls in the last
60 s: the `limits` library's "sliding window counter"). A refused request is not counted, so
a client that keeps knocking gets in again as soon as it would have without knocking.

Why not Flask-Limiter (used before): it makes one storage call per rate and key (three or four
per write here, each a round trip), and builds its storage from a URI, with no way to hand it
the app's connection pool.

**Two keys per write**, because each alone can be dodged or is too blunt: every write needs a
session (401 `no_session` without one), whose limits are strict (what an honest volunteer
cannot reach: a recording takes a few seconds to make and a clip a few seconds to hear);
and a script that makes a fresh session for each request meets the address limits, which are
generous, because a school's NAT or a mobile carrier puts many honest people behind one IPv4
address. An IPv6 client is counted by its /64 (one home or one phone; the rest of the 64 bits
are the client's to choose).

**New sessions per address: 30 a minute, 300 an hour, 2,000 a day.** A browser needs one new
session in its life (the cookie lasts two years), so an honest address makes new sessions only
as fast as new people arrive behind it. The crowded case is a carrier-grade NAT: a mobile
carrier shares one IPv4 address among tens to a few hundred subscribers at a time (port blocks
of 512-2,048 ports each), and a campaign message can reach them all at once; a recording
drive in a college hall puts 50-100 people on one Wi-Fi in ten minutes. 30 a minute admits
such a crowd within minutes (a page still shows when the limit is met; its script asks again
when told to). A script, meanwhile, gets 30 identities a minute from one address instead of
one per request, and each of them meets the per-session limits.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from flask import Flask, Response, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.errors_http import error_response
from app.i18n.text import Text
from app.security.counters import Count, Counters, PostgresCounters, RedisCounters, Window
from app.settings import Settings

log = logging.getLogger(__name__)

TOO_MANY = Text("Too many requests in a short time. Please wait a moment and try again.")


@dataclass(frozen=True)
class WriteLimit:
    """The limits of one write endpoint, "N per minute;M per hour" (second, minute, hour, day)."""

    per_session: str
    per_address: str


# Per session strict, per address generous (see the module docstring). The README's "Limits"
# table states these numbers; change both together.
LIMITS: dict[str, WriteLimit] = {
    "speak.upload_recording": WriteLimit(
        per_session="20 per minute;400 per hour", per_address="240 per minute;6000 per hour"
    ),
    "speak.skip": WriteLimit(
        per_session="60 per minute;1000 per hour", per_address="600 per minute"
    ),
    "validate.vote": WriteLimit(
        per_session="60 per minute;1500 per hour", per_address="600 per minute;15000 per hour"
    ),
    "validate.skip": WriteLimit(
        per_session="60 per minute;1000 per hour", per_address="600 per minute"
    ),
    # the typed tasks: an answer is quicker than a recording, a vote and a skip as speak's
    "contribute.contribute": WriteLimit(
        per_session="30 per minute;600 per hour", per_address="300 per minute;9000 per hour"
    ),
    "contribute.skip": WriteLimit(
        per_session="60 per minute;1000 per hour", per_address="600 per minute"
    ),
    "contribute.vote": WriteLimit(
        per_session="60 per minute;1500 per hour", per_address="600 per minute;15000 per hour"
    ),
    "contribute.skip_contribution": WriteLimit(
        per_session="60 per minute;1000 per hour", per_address="600 per minute"
    ),
    "reports.report": WriteLimit(
        per_session="10 per minute;100 per day", per_address="60 per minute;1000 per day"
    ),
    "contributors.save_profile": WriteLimit(
        per_session="10 per minute", per_address="120 per minute"
    ),
    # Feedback needs no session (a sessionless sender meets the address limit only), and
    # nobody honest writes more than a few an hour; an address shared by a hall still gets 30.
    "feedback.send_feedback": WriteLimit(per_session="10 per hour", per_address="30 per hour"),
    # A certificate is asked for a few times in a volunteer's life.
    "certificates.issue": WriteLimit(per_session="10 per hour", per_address="60 per hour"),
    "progress.put_goals": WriteLimit(per_session="10 per minute", per_address="120 per minute"),
    # A person's whole data as a zip is made on request, reading every recording: a few an
    # hour is plenty (a download that broke can be started again).
    "mydata.export": WriteLimit(per_session="3 per hour", per_address="30 per hour"),
    "mydata.delete_me": WriteLimit(per_session="5 per minute", per_address="60 per minute"),
    # Entering a contributor key: a person types one a few times in their life, so these are
    # strict, to stop guessing (hopeless anyway: 128 bits, app/contributors/keys.py); a
    # session-less guesser meets the address's, and a hall moving devices together fits in it.
    "keys.enter_key": WriteLimit(
        per_session="5 per minute;20 per hour", per_address="20 per minute;200 per hour"
    ),
    "keys.replace_key": WriteLimit(
        per_session="3 per minute;20 per day", per_address="30 per minute"
    ),
}

# Counted per client address each time a session is issued (a page view or POST
# /api/v1/session, the endpoint below, which has no other limit).
NEW_SESSIONS_PER_ADDRESS = "30 per minute;300 per hour;2000 per day"
NEW_SESSION_ENDPOINT = "contributors.new_session"

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}
_RATE = re.compile(r"\s*(\d+) per (second|minute|hour|day)\s*")


@dataclass(frozen=True)
class Rate:
    """At most `count` in any `seconds`."""

    count: int
    seconds: int


def parse_rates(spec: str) -> tuple[Rate, ...]:
    """ "20 per minute;400 per hour" -> (Rate(20, 60), Rate(400, 3600)); ValueError if malformed."""
    rates = []
    for part in spec.split(";"):
        match = _RATE.fullmatch(part)
        if match is None:
            raise ValueError(f"not a rate: {part!r} (write 'N per minute')")
        rates.append(Rate(int(match[1]), _UNITS[match[2]]))
    if len({rate.seconds for rate in rates}) < len(rates):  # one counter per window length
        raise ValueError(f"two rates over the same window in {spec!r}")
    return tuple(rates)


_NEW_SESSION_RATES = parse_rates(NEW_SESSIONS_PER_ADDRESS)


def client_address() -> str:
    """The connecting address (or, behind PROXY_HOPS trusted proxies, the client they name);
    an IPv6 address stands for its /64."""
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class Limiter:
    """Checks rates against the shared counts."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters

    def wait_for(self, checks: Sequence[tuple[str, str, tuple[Rate, ...]]]) -> int | None:
        """Count one request against each (what, who, rates); None when every rate allows it,
        else the seconds until it would (and the request is not counted).

        Raises DatabaseUnavailable when the counts are in a database that cannot be reached.
        """
        windows: list[Window] = []
        rates: list[Rate] = []
        for what, who, what_rates in checks:
            for rate in what_rates:
                windows.append(Window(f"{what}/{rate.seconds}", who, rate.seconds))
                rates.append(rate)
        counts = self.counters.hit(windows)
        waits = [_wait(rate, count) for rate, count in zip(rates, counts, strict=True)]
        refused = [w for w in waits if w is not None]
        if not refused:
            return None
        self.counters.undo(windows, counts)
        return max(refused)


def _wait(rate: Rate, count: Count) -> int | None:
    """None if the hit in `count` keeps within `rate`, else whole seconds until the same
    request would (once this hit is taken back)."""
    span = rate.seconds
    left_of_previous = max(0.0, (span - count.elapsed) / span)
    if count.previous * left_of_previous + count.current <= rate.count:
        return None
    if count.current <= rate.count:  # wait for enough of the previous window to slide out
        needed = 1 - (rate.count - count.current) / count.previous
        seconds = needed * span - count.elapsed
    else:  # wait for the next window, where this window's hits are the previous ones
        kept = count.current - 1
        needed = max(0.0, 1 - (rate.count - 1) / kept) if kept else 0.0
        seconds = span - count.elapsed + needed * span
    return max(1, math.ceil(seconds))


def _limiter() -> Limiter | None:
    return current_app.extensions.get("crowdsource.limiter")


def too_many(wait: int) -> Response:
    """The 429 answer with its Retry-After."""
    response = error_response(429, "rate_limited", TOO_MANY)
    response.headers["Retry-After"] = str(wait)
    return response


def _check_write(
    endpoint: str, per_session: tuple[Rate, ...], per_address: tuple[Rate, ...]
) -> int | None:
    limiter = _limiter()
    if limiter is None:
        return None
    checks = [(endpoint, f"address:{client_address()}", per_address)]
    session = g.get("contributor_id")
    if session is not None:  # without one the write is refused (401) by the view
        checks.append((endpoint, f"session:{session}", per_session))
    try:
        return limiter.wait_for(checks)
    except psycopg.Error as exc:
        log.warning("rate limits not checked: %s", type(exc).__name__)
        return None


def new_session_allowed() -> int | None:
    """None when this client may be issued a new session now, else the seconds to wait.

    Counts the issuance against the client address's new-session limit (NEW_SESSIONS_PER_
    ADDRESS) when it is allowed. Never raises: if the counts cannot be reached, it allows.
    """
    limiter = _limiter()
    if limiter is None:
        return None
    try:
        return limiter.wait_for(
            [("session.new", f"address:{client_address()}", _NEW_SESSION_RATES)]
        )
    except Exception as exc:  # the database is down or the counts are broken: let it through
        log.warning("new-session limit not checked: %s", type(exc).__name__)
        return None


def _limited(view: Callable[..., Any], endpoint: str, limit: WriteLimit) -> Callable[..., Any]:
    per_session, per_address = parse_rates(limit.per_session), parse_rates(limit.per_address)

    @functools.wraps(view)
    def limited_view(*args: Any, **kwargs: Any) -> Any:
        wait = _check_write(endpoint, per_session, per_address)
        if wait is not None:
            return too_many(wait)
        return view(*args, **kwargs)

    return limited_view


def init_app(app: Flask, settings: Settings) -> Limiter | None:
    """Puts the limits on the write endpoints (call after the blueprints are registered: the
    checks run after the before-request hooks, so the session is known)."""
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    if not settings.rate_limits:
        return None
    counters: Counters = PostgresCounters(app.extensions["crowdsource.db"])
    if settings.redis_url:
        counters = RedisCounters(settings.redis_url, fallback=counters)
    limiter = Limiter(counters)
    app.extensions["crowdsource.limiter"] = limiter
    for endpoint, limit in LIMITS.items():
        app.view_functions[endpoint] = _limited(app.view_functions[endpoint], endpoint, limit)
    return limiter
