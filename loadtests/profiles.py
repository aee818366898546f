"""The named load profiles, as plain data: who runs, how many, for how long.

A profile is the shape of the original platform's JMeter test plans; `Profile.scaled(F)`
multiplies the users (and the request budget) by F so the same shape runs on a laptop or in
CI. Durations are never scaled: the ramp-up and the hold are what make a run a load test or
a scalability test. Imported by `ops/loadtest.py` (to check a run before it starts) and by
the locustfile, so it must not import Locust.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

JOURNEYS = ("speaker", "validator", "dashboard")


class ProfileError(ValueError):
    """A profile name, scale or weight that cannot make a run."""


@dataclass(frozen=True)
class Profile:
    """A load test plan at scale 1."""

    name: str
    description: str
    users: int
    ramp_up_s: float
    # Seconds at full strength after the ramp-up; 0 means "until every user has made its
    # requests" (requests_per_user must then be set).
    hold_s: float
    ramp_down_s: float
    requests_per_user: int | None  # a user stops after this many requests
    request_budget: int | None  # the run stops after this many requests in all
    think_time_s: tuple[float, float]  # pause between two requests of a user (uniform)
    run_time_s: int  # the default time bound; --run-time narrows or widens it
    weights: dict[str, int] = field(default_factory=lambda: dict.fromkeys(JOURNEYS, 1))

    def scaled(self, factor: float) -> Plan:
        """This profile with users and request budget multiplied by `factor` (at least one
        user); raises ProfileError for a factor that is not positive."""
        if not math.isfinite(factor) or factor <= 0:
            raise ProfileError(f"the scale must be a positive number, not {factor}")
        users = max(1, round(self.users * factor))
        budget: int | None
        if self.request_budget is not None:
            budget = max(1, round(self.request_budget * factor))
        else:  # the cap per user bounds the count: every user makes at most that many
            budget = users * (self.requests_per_user or 0) or None
        return Plan(
            profile=self,
            scale=factor,
            users=users,
            spawn_rate=users / self.ramp_up_s if self.ramp_up_s > 0 else float(users),
            request_budget=budget,
        )


@dataclass(frozen=True)
class Plan:
    """A profile at a scale: the numbers a run uses."""

    profile: Profile
    scale: float
    users: int
    spawn_rate: float  # users started (or stopped) per second
    request_budget: int | None  # the run stops after this many requests in all

    def with_request_budget(self, requests: int) -> Plan:
        """This plan stopping after `requests` requests in all (instead of the profile's
        count); raises ProfileError unless it is at least 1."""
        if requests < 1:
            raise ProfileError(f"the request budget must be at least 1, not {requests}")
        return replace(self, request_budget=requests)

    @property
    def planned_seconds(self) -> float | None:
        """How long the shape lasts when nothing stops it early; None when it lasts until
        every user is done."""
        p = self.profile
        if p.hold_s == 0:
            return None
        return p.ramp_up_s + p.hold_s + p.ramp_down_s

    def describe(self) -> str:
        """One line for the operator: users, ramp, hold, stopping rule."""
        p = self.profile
        parts = [f"{self.users} users", f"{self.spawn_rate:.3g}/s ramp-up over {p.ramp_up_s:g} s"]
        if p.hold_s:
            parts.append(f"hold {p.hold_s:g} s, ramp-down {p.ramp_down_s:g} s")
        if p.requests_per_user:
            parts.append(f"{p.requests_per_user} requests per user")
        if self.request_budget:
            parts.append(f"at most {self.request_budget} requests")
        return ", ".join(parts)


# The seed's load test: 20,000 users × 3 requests, 10 s ramp-up, 3 iterations. Each user
# makes 3 × 3 requests along its journey (speaker, validator or dashboard reader, the three
# journeys standing for the seed's three endpoints), then leaves; the run ends when all have.
LOAD = Profile(
    name="load",
    description="20,000 users × 3 requests × 3 iterations, 10 s ramp-up (the seed's JMeter plan)",
    users=20_000,
    ramp_up_s=10,
    hold_s=0,
    ramp_down_s=0,
    requests_per_user=9,
    request_budget=None,
    think_time_s=(0.5, 1.5),
    run_time_s=600,
)

# The seed's scalability test: 1,000 users, 15,000 requests. A slow ramp-up, ten minutes at
# full strength (long enough for an HPA to add pods above its CPU target) and a ramp-down
# (to watch it remove them). Think times spread the 15,000 requests over the hold.
SCALABILITY = Profile(
    name="scalability",
    description="1,000 users, 15,000 requests: 1 min ramp-up, 10 min hold, 2 min ramp-down",
    users=1_000,
    ramp_up_s=60,
    hold_s=600,
    ramp_down_s=120,
    requests_per_user=None,
    request_budget=15_000,
    think_time_s=(30.0, 60.0),
    run_time_s=900,
    weights={"speaker": 2, "validator": 2, "dashboard": 1},
)

PROFILES: dict[str, Profile] = {p.name: p for p in (LOAD, SCALABILITY)}


def get_profile(name: str) -> Profile:
    """The profile called `name`; raises ProfileError naming the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ProfileError(f"unknown profile {name!r} (known: {known})") from None


def check_time_bound(run_time_s: float | None, profile: Profile) -> float:
    """The run's time limit in seconds: `run_time_s` when given, else the profile's; raises
    ProfileError when there is none, so no run can go on until someone stops it."""
    limit = profile.run_time_s if run_time_s is None else run_time_s
    if not limit or limit <= 0 or not math.isfinite(limit):
        raise ProfileError(
            f"the {profile.name} profile has no time bound: give --run-time (e.g. 2m)"
            if run_time_s is None
            else "--run-time must be a positive duration such as 90s, 5m or 1h"
        )
    return float(limit)


def parse_weights(text: str, defaults: dict[str, int]) -> dict[str, int]:
    """'speaker=3,validator=2' over the defaults; raises ProfileError for an unknown journey
    or a weight that is not a whole number ≥ 1 (leave a journey out with Locust's class
    arguments instead, e.g. `locust ... SpeakerUser`)."""
    weights = dict(defaults)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in JOURNEYS:
            known = ", ".join(JOURNEYS)
            raise ProfileError(f"unknown journey {name!r} in weights (known: {known})")
        if not value.strip().isdigit() or int(value) < 1:
            raise ProfileError(f"the weight of {name} must be a whole number ≥ 1, not {value!r}")
        weights[name] = int(value)
    return weights


def parse_think_time(text: str) -> tuple[float, float]:
    """'0.5,2' (or one number, '1') as (low, high) seconds; raises ProfileError."""
    try:
        numbers = [float(p) for p in text.split(",")]
    except ValueError:
        raise ProfileError(f"think time {text!r} is not 'MIN,MAX' seconds") from None
    if len(numbers) == 1:
        numbers *= 2
    if len(numbers) != 2 or not 0 <= numbers[0] <= numbers[1]:
        raise ProfileError(f"think time {text!r} is not 'MIN,MAX' seconds with MIN ≤ MAX")
    return numbers[0], numbers[1]
