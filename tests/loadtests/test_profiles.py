"""The named profiles and what a scale factor, a think time or a weight does to them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loadtests.profiles import (
    LOAD,
    SCALABILITY,
    ProfileError,
    check_time_bound,
    get_profile,
    parse_think_time,
    parse_weights,
)


def test_the_load_profile_is_the_original_jmeter_plan() -> None:
    load = get_profile("load")
    assert (load.users, load.ramp_up_s) == (20_000, 10)
    assert load.requests_per_user == 3 * 3  # 3 requests, three iterations
    assert load.scaled(1).request_budget == 20_000 * 9


def test_a_scale_factor_shrinks_users_and_requests_but_not_the_ramp_up() -> None:
    plan = LOAD.scaled(0.002)
    assert plan.users == 40
    assert plan.spawn_rate == pytest.approx(4.0)  # still all users within 10 s
    assert plan.request_budget == 40 * 9
    assert "40 users" in plan.describe() and "at most 360 requests" in plan.describe()


def test_a_tiny_scale_still_runs_one_user() -> None:
    assert LOAD.scaled(1e-9).users == 1


@pytest.mark.parametrize("factor", [0, -1, float("nan"), float("inf")])
def test_a_scale_that_is_not_a_positive_number_is_refused(factor: float) -> None:
    with pytest.raises(ProfileError, match="positive"):
        LOAD.scaled(factor)


def test_the_scalability_profile_holds_long_enough_to_watch_an_autoscaler() -> None:
    plan = get_profile("scalability").scaled(1)
    assert (plan.users, plan.request_budget) == (1_000, 15_000)
    # Scaling up takes a few metric periods (15 s each) plus pod start-up; minutes at full load.
    assert SCALABILITY.hold_s >= 5 * 60
    # The default time bound never cuts the planned shape short.
    assert plan.planned_seconds is not None
    assert SCALABILITY.run_time_s >= plan.planned_seconds


def test_the_scalability_think_time_spreads_its_requests_over_the_hold() -> None:
    low, high = SCALABILITY.think_time_s
    rate = SCALABILITY.users / ((low + high) / 2)  # requests per second at full strength
    assert SCALABILITY.request_budget is not None
    seconds_to_spend_budget = SCALABILITY.request_budget / rate
    assert seconds_to_spend_budget > SCALABILITY.ramp_up_s + SCALABILITY.hold_s


def test_an_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(ProfileError, match=r"unknown profile 'soak' \(known: load, scalability\)"):
        get_profile("soak")


def test_a_run_needs_a_time_bound() -> None:
    assert check_time_bound(None, LOAD) == LOAD.run_time_s
    assert check_time_bound(30, LOAD) == 30
    with pytest.raises(ProfileError, match="positive duration"):
        check_time_bound(0, LOAD)
    unbounded = replace(LOAD, name="endless", run_time_s=0)
    with pytest.raises(ProfileError, match="endless profile has no time bound"):
        check_time_bound(None, unbounded)


def test_weights_override_the_profile_defaults_journey_by_journey() -> None:
    weights = parse_weights("speaker=3, dashboard=2", SCALABILITY.weights)
    assert weights == {"speaker": 3, "validator": 2, "dashboard": 2}
    assert parse_weights("", LOAD.weights) == LOAD.weights


@pytest.mark.parametrize(
    ("text", "message"),
    [("robot=1", "unknown journey 'robot'"), ("speaker=0", "whole number"), ("speaker=x", "whole")],
)
def test_bad_weights_are_refused(text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_weights(text, LOAD.weights)


def test_think_time_is_a_range_or_one_number() -> None:
    assert parse_think_time("0.5,2") == (0.5, 2.0)
    assert parse_think_time("1") == (1.0, 1.0)
    for bad in ("2,1", "a,b", "1,2,3", "-1,2"):
        with pytest.raises(ProfileError):
            parse_think_time(bad)
