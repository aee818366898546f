"""The load shape follows the plan and stops on every bound. Run in a subprocess: importing
Locust monkey-patches the standard library with gevent, which this test process must not."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import PROJECT_ROOT

# Drives ProfileShape.tick() with a stand-in runner and clock; prints one JSON list per case.
SCRIPT = """
import json, sys
from types import SimpleNamespace
from loadtests.profiles import get_profile
from loadtests.shape import ProfileShape

def ticks(profile, scale, limit, times, requests=0, users=1):
    shape = ProfileShape()
    shape.plan, shape.time_limit_s = get_profile(profile).scaled(scale), limit
    stats = SimpleNamespace(total=SimpleNamespace(num_requests=requests))
    shape.runner = SimpleNamespace(stats=stats, user_count=users)
    out = []
    for t in times:
        shape.get_run_time = lambda t=t: t
        tick = shape.tick()
        out.append(None if tick is None else [tick[0], round(tick[1], 3)])
    return out

print(json.dumps({
    "scalability": ticks("scalability", 0.1, 900, [0, 59, 61, 659, 661, 779, 781]),
    "time_limit": ticks("scalability", 0.1, 30, [29, 30]),
    "budget": ticks("scalability", 0.1, 900, [100], requests=1500),
    "load_running": ticks("load", 0.002, 600, [5, 15], users=3),
    "load_done": ticks("load", 0.002, 600, [5, 15], users=0),
}))
"""


def test_the_shape_ramps_holds_ramps_down_and_stops_on_time_budget_or_when_users_leave() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=PROJECT_ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ticks = json.loads(result.stdout.splitlines()[-1])

    # 100 users over 60 s; held for 600 s; ramped down over 120 s; then the end.
    up, hold, down = [100, 1.667], [100, 1.667], [0, 0.833]
    assert ticks["scalability"] == [up, up, hold, hold, down, down, None]
    assert ticks["time_limit"] == [up, None]
    assert ticks["budget"] == [None]  # 1,500 requests made: the scaled budget
    # The load profile ends when every user has made its requests and left (after ramp-up).
    assert ticks["load_running"] == [[40, 4.0], [40, 4.0]]
    assert ticks["load_done"] == [[40, 4.0], None]
