"""The three contributor journeys, as Locust users of the JSON API (docs/api.md).

Each user is one anonymous person: its first request asks for a session (`POST
/api/v1/session`, what the page view gives a browser, "POST session"), whose `cs_id` cookie its
HTTP session keeps; every write needs it. A journey is a generator that makes one request per
step; the single Locust task advances it one step, so the think time falls between requests
(as a person pauses between two takes) and a per-user request cap counts real requests. A
validator votes on a clip only once it has played to its end (the server refuses a vote
sooner than the clip could be heard), as the validate page unlocks its buttons.

What counts as a failure: a 5xx, a timeout or connection error, or a 4xx the journey did not
expect. The journeys never provoke a 4xx on purpose (a take is uploaded once per sentence
offered, a vote once per clip heard), so `409 already_recorded`, `422 silent` or
`422 not_listened` mean a bug. Two refusals are part of the job: an empty queue (the person
moves on, as a real one would) and `409 sentence_full`, when other speakers took a sentence's
last recordings between its offer and this upload (the cap holds at the write; the page asks
the person to record another sentence).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import requests
from locust import HttpUser, task
from locust.exception import StopUser

from loadtests.clips import load_clips

TIMEOUT_S = 30
API = "/api/v1"


class Admission:
    """How many users a run may start, and how many requests. Locust respawns users that stop
    themselves while it is still ramping up; a per-user request cap needs a cap on users too,
    or the run grows. The request budget is kept here, not only by the shape (which looks
    once a second), so a run never makes more requests than it was allowed: each request is
    reserved before it starts (users are greenlets of one thread, so counting is exact)."""

    limit: ClassVar[int | None] = None
    admitted: ClassVar[int] = 0
    request_budget: ClassVar[int | None] = None
    requests_reserved: ClassVar[int] = 0

    @classmethod
    def admit(cls) -> bool:
        if cls.limit is not None and cls.admitted >= cls.limit:
            return False
        cls.admitted += 1
        return True

    @classmethod
    def reserve_request(cls) -> bool:
        """Take one request from the budget; False when it is spent."""
        if cls.request_budget is not None and cls.requests_reserved >= cls.request_budget:
            return False
        cls.requests_reserved += 1
        return True

    @classmethod
    def release_request(cls) -> None:
        """Give back a reservation that made no request (the journey had ended)."""
        cls.requests_reserved -= 1


class Journey(HttpUser):
    """A person who repeats one journey; the run configures the class attributes."""

    abstract = True
    requests_per_user: ClassVar[int | None] = None
    think_time_s: ClassVar[tuple[float, float]] = (0.5, 1.5)
    _clips: ClassVar[list[bytes]] = []

    def wait_time(self) -> float:
        low, high = self.think_time_s
        return random.uniform(low, high)

    def on_start(self) -> None:
        self.admitted = Admission.admit()
        self.requests_made = 0
        self.steps: Iterator[None] = iter(())
        self.known_languages: list[dict[str, Any]] = []
        self.has_session = False

    @task
    def next_step(self) -> None:
        """Make the next request of the journey, starting a new journey when one ends."""
        cap = self.requests_per_user
        if not self.admitted or (cap is not None and self.requests_made >= cap):
            raise StopUser()
        for _attempt in range(2):  # a journey that just ended is followed by a fresh one
            if not Admission.reserve_request():
                raise StopUser()
            try:
                next(self.steps)  # one request (each step of a journey makes exactly one)
                self.requests_made += 1
                return
            except StopIteration:
                Admission.release_request()
                self.steps = self.journey()
            except BaseException:  # StopUser inside a journey: no request was made either
                Admission.release_request()
                raise

    def journey(self) -> Iterator[None]:
        """The requests of one journey; yields after each."""
        raise NotImplementedError

    def start_session(self) -> Iterator[None]:
        """POST /session once per person, before their first write (one step, or none)."""
        if not self.has_session:
            body = self.call("POST", f"{API}/session", "POST session", (200, 201))
            self.has_session = body is not None
            yield

    def call(
        self,
        method: str,
        path: str,
        name: str,
        ok: tuple[int, ...],
        refusals: tuple[str, ...] = (),
        **kw: Any,
    ) -> Any:
        """One request, recorded under `name`; a success when the status is in `ok` or the
        API's error code is one of `refusals` (an answer the journey expects sometimes).
        Returns the JSON body of a success (None otherwise, or for a body that is not JSON).

        A connection dropped before any answer is retried once, as browsers do: every request
        here is safe to repeat (an upload keeps its idempotency key, a vote or a skip again is
        a no-op). The usual cause is the keep-alive race: the server closes a connection that
        sat idle for its keep-alive time just as the next request goes out on it. The dropped
        attempt is listed as "NAME (reset, retried)", so it is seen but does not count as a
        failure of the endpoint; if the retry fails too, that is a failure."""
        for attempt in (1, 2):
            with self.client.request(
                method, path, name=name, timeout=TIMEOUT_S, catch_response=True, **kw
            ) as response:
                if attempt == 1 and _connection_dropped(response):
                    response.request_meta["name"] = f"{name} (reset, retried)"
                    response.success()
                    continue
                if response.status_code not in ok:
                    if refusals and _error_of(response) in refusals:
                        response.success()
                    else:
                        response.failure(f"{response.status_code}: {_error_of(response)}")
                    return None
                response.success()
                try:
                    return response.json()
                except ValueError:
                    return None
        return None

    def fetch_languages(self) -> list[dict[str, Any]]:
        """GET /languages, as the home page a person starts from; kept for later journeys."""
        body = self.call("GET", f"{API}/languages", "GET languages", (200,))
        self.known_languages = (body or {}).get("languages", [])
        return self.known_languages

    @classmethod
    def clips(cls) -> list[bytes]:
        if not cls._clips:
            Journey._clips = load_clips()
        return cls._clips


class SpeakerUser(Journey):
    """Opens a language, gets 5 sentences, records each, then reads the thank-you totals."""

    abstract = False

    def on_start(self) -> None:
        super().on_start()
        self.finished_languages: set[str] = set()

    def journey(self) -> Iterator[None]:
        if not self.known_languages:
            self.fetch_languages()
            yield
        open_here = [
            lang["code"]
            for lang in self.known_languages
            if lang.get("sentence_count") and lang["code"] not in self.finished_languages
        ]
        if not open_here:  # recorded all there is: this person moves on
            raise StopUser()
        code = random.choice(open_here)
        body = self.call(
            "GET", f"{API}/languages/{code}/sentences?count=5", "GET sentences", (200,)
        )
        yield
        sentences = (body or {}).get("sentences", [])
        if not sentences:  # exhausted for this person: try another language next time
            self.finished_languages.add(code)
            return
        yield from self.start_session()
        for sentence in sentences:
            self.call(
                "POST",
                f"{API}/recordings",
                "POST recording",
                (200, 201),
                refusals=("sentence_full",),
                data={"item_id": str(sentence["id"]), "idempotency_key": uuid.uuid4().hex},
                files={"audio": ("take.wav", random.choice(self.clips()), "audio/wav")},
            )
            yield
        self.call("GET", f"{API}/me", "GET me", (200,))
        yield


class ValidatorUser(Journey):
    """Gets clips to check, listens to each to its end, votes on most and skips a few."""

    abstract = False
    skip_share: ClassVar[float] = 0.1
    accept_share: ClassVar[float] = 0.8

    def journey(self) -> Iterator[None]:
        if not self.known_languages:
            self.fetch_languages()
            yield
        if not self.known_languages:
            return
        code = random.choice(self.known_languages)["code"]
        # The session first: clips handed to a person are remembered, and a vote counts only
        # on a clip handed to them.
        yield from self.start_session()
        body = self.call("GET", f"{API}/languages/{code}/clips?count=5", "GET clips", (200,))
        yield
        for clip in (body or {}).get("clips", []):  # empty: nothing waiting, move on
            self.call("GET", clip["audio_url"], "GET audio", (200,))
            ends = time.monotonic() + int(clip.get("duration_ms") or 0) / 1000
            yield
            if random.random() < self.skip_share:
                self.call("POST", f"{API}/recordings/{clip['id']}/skip", "POST clip skip", (200,))
            else:
                verdict = "accept" if random.random() < self.accept_share else "reject"
                # The clip plays to its end before the buttons unlock (time.sleep is gevent's
                # under Locust: other users run meanwhile). Usually the think time covered it.
                time.sleep(max(0.0, ends - time.monotonic()))
                self.call(
                    "POST",
                    f"{API}/recordings/{clip['id']}/votes",
                    "POST vote",
                    (200, 201),
                    json={"verdict": verdict},
                )
            yield


class DashboardReader(Journey):
    """Reads the public dashboard the way its page does: the manifest, then its files, from
    the CDN (or the app when there is none)."""

    abstract = False
    base_url: ClassVar[str | None] = None  # None: the host under test

    def journey(self) -> Iterator[None]:
        base = (self.base_url or self.host or "").rstrip("/")
        # 404: nothing published yet (no `crowdsource refresh` ran); the page shows "no data".
        manifest = self.call(
            "GET", f"{base}/public/dashboard/manifest.json", "GET dashboard manifest", (200, 404)
        )
        yield
        for key in ((manifest or {}).get("files") or {}).values():
            self.call("GET", f"{base}/{key}", "GET dashboard file", (200,))
            yield


def _connection_dropped(response: Any) -> bool:
    """True when no answer came because the connection was closed or reset (not a timeout:
    a slow server is a finding, not a race)."""
    error = getattr(response, "error", None)
    return (
        response.status_code == 0
        and isinstance(error, requests.exceptions.ConnectionError)
        and not isinstance(error, requests.exceptions.Timeout)
    )


def _error_of(response: Any) -> str:
    """The API's error code, or a short reason, for the failure message (grouped by Locust)."""
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return str(getattr(response, "error", None) or response.reason or "no answer")[:80]
