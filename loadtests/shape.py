"""The load shape of a profile: ramp up, hold, ramp down, and every way a run stops.

Locust waits for a shape to finish before it starts its own --run-time clock, so the shape
enforces the time bound itself, along with the request budget and "every user is done".
"""

from __future__ import annotations

from locust import LoadTestShape

from loadtests.profiles import Plan


class ProfileShape(LoadTestShape):
    """Follows the plan of the run (set by the locustfile when Locust starts)."""

    # We read --run-time ourselves: this tells Locust not to warn that the shape ignores it.
    use_common_options = True
    plan: Plan | None = None
    time_limit_s: float | None = None

    def tick(self) -> tuple[int, float] | None:
        """(users, spawn rate) for now, or None to end the run."""
        plan = self.plan
        assert plan is not None and self.runner is not None, "the locustfile sets the plan"
        profile = plan.profile
        elapsed = self.get_run_time()
        if self.time_limit_s is not None and elapsed >= self.time_limit_s:
            return None
        if plan.request_budget and self.runner.stats.total.num_requests >= plan.request_budget:
            return None
        full = (plan.users, plan.spawn_rate)
        if elapsed < profile.ramp_up_s:
            return full
        if profile.hold_s == 0:  # until every user has made its requests and left
            return full if self.runner.user_count > 0 else None
        if elapsed < profile.ramp_up_s + profile.hold_s:
            return full
        if elapsed < profile.ramp_up_s + profile.hold_s + profile.ramp_down_s:
            return (0, plan.users / max(profile.ramp_down_s, 1))
        return None
