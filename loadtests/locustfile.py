"""What Locust loads: the three journeys and the shape of the chosen profile.

    python -m locust -f loadtests/locustfile.py --headless --host http://127.0.0.1:8080 \
        --load-profile load --scale 0.005 --run-time 2m

`crowdsource loadtest` runs exactly this and summarises the CSV. Every option below also
reads an environment variable (LOADTEST_PROFILE, LOADTEST_SCALE, ...), for the web UI.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# Locust imports this file by path; make `loadtests` importable from any working directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from locust import events

from loadtests.journeys import Admission, DashboardReader, Journey, SpeakerUser, ValidatorUser
from loadtests.profiles import check_time_bound, get_profile, parse_think_time, parse_weights
from loadtests.shape import ProfileShape

__all__ = ["DashboardReader", "ProfileShape", "SpeakerUser", "ValidatorUser"]

JOURNEY_CLASSES: dict[str, type[Journey]] = {
    "speaker": SpeakerUser,
    "validator": ValidatorUser,
    "dashboard": DashboardReader,
}


@events.init_command_line_parser.add_listener
def add_profile_options(parser: Any) -> None:
    """The run's own options, next to Locust's."""
    group = parser.add_argument_group("Crowdsource profile")
    # Not --profile: Locust has its own option of that name (a label for Locust Cloud).
    group.add_argument(
        "--load-profile",
        env_var="LOADTEST_PROFILE",
        default="load",
        help="The named profile: load or scalability.",
    )
    group.add_argument(
        "--scale",
        env_var="LOADTEST_SCALE",
        type=float,
        default=1.0,
        help="Multiplies the profile's users and request budget (0.005: 100 of 20,000 users).",
    )
    group.add_argument(
        "--max-requests",
        env_var="LOADTEST_MAX_REQUESTS",
        type=int,
        default=0,
        help="Stop after this many requests in all (default: the profile's count).",
    )
    group.add_argument(
        "--think-time",
        env_var="LOADTEST_THINK_TIME",
        default="",
        help="Seconds between two requests of a user, 'MIN,MAX' (default: the profile's).",
    )
    group.add_argument(
        "--weights",
        env_var="LOADTEST_WEIGHTS",
        default="",
        help="Share of each journey, e.g. 'speaker=2,validator=2,dashboard=1'.",
    )
    group.add_argument(
        "--dashboard-base",
        env_var="LOADTEST_DASHBOARD_BASE",
        default="",
        help="Where the dashboard JSON is read (the CDN); default: the host.",
    )


@events.init.add_listener
def apply_profile(environment: Any, **_kwargs: Any) -> None:
    """Configure the journeys and the shape from the options before any user starts."""
    options = environment.parsed_options
    if options is None:  # Locust used as a library: the caller configures the classes
        return
    profile = get_profile(options.load_profile)
    plan = profile.scaled(options.scale)
    if options.max_requests:
        plan = plan.with_request_budget(options.max_requests)
    think_time = parse_think_time(options.think_time) if options.think_time else None
    weights = parse_weights(options.weights, profile.weights)
    for name, user_class in JOURNEY_CLASSES.items():
        user_class.weight = weights[name]
        user_class.requests_per_user = profile.requests_per_user
        user_class.think_time_s = think_time or profile.think_time_s
    DashboardReader.base_url = options.dashboard_base or None
    Admission.limit = plan.users if profile.requests_per_user else None
    Admission.request_budget = plan.request_budget
    ProfileShape.plan = plan
    # Locust starts its own --run-time clock only after a shape ends, so the shape keeps time.
    ProfileShape.time_limit_s = check_time_bound(options.run_time or None, profile)
    Journey.clips()  # read the takes now, not in the first user's request
