"""Driving one endpoint with wrk, and measuring what it cost: the pieces of `crowdsource bench`.

Each endpoint gets a generated Lua script: the requests rotate over the benchmark's people and
items so that every write is a new one (a new recording of a sentence, a new vote on a
recording), as in real traffic; wrk's `done` hook prints the summary as one JSON line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import CrowdsourceError

if TYPE_CHECKING:
    from ops.bench_fixture import Fixture

CLK_TCK = os.sysconf("SC_CLK_TCK")
WAV_BYTES = 50 * 1024
SPEECH_SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "audio" / "hi_1.wav"

_COMMON = r"""
local people = {%(people)s}
local items = {%(items)s}
-- Globals, not locals: setup() sets thread_id in each thread's state after this file has run,
-- and done() reads every thread's counter with thread:get().
thread_id = 0
counter = 0
local threads, start, thread_count, all_threads = 1, 0, 0, {}

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
  table.insert(all_threads, thread)
end

function init(args)
  threads = tonumber(args[1])
  start = tonumber(args[2])
end

-- The n-th request of the run, counted from `start` (the first number the previous run of this
-- endpoint did not use), so a warm-up and the measured run never repeat a request.
local function next_n()
  local n = start + counter * threads + thread_id
  counter = counter + 1
  return n
end

-- A (person, item) pair no other n below #people * #items uses. Both change from one n to the
-- next, so concurrent requests come from different people about different items, as
-- different volunteers' do, instead of queueing on one row's lock (a validator's standing, a
-- recording): n = q * #people + r is person r and item (q + r) mod #items.
local function pair(n)
  local r = n %% #people
  local q = math.floor(n / #people)
  return people[r + 1], items[((q + r) %% #items) + 1]
end

done = function(summary, latency, requests)
  local errors = summary.errors
  local used = 0
  for _, thread in ipairs(all_threads) do
    used = math.max(used, thread:get("counter"))
  end
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "timeout": %%d, "status": %%d, "used": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), errors.connect, errors.read, errors.write, errors.timeout,
    errors.status, used * thread_count))
end
"""

_REQUESTS = {
    "sentences": r"""
request = function()
  local person = people[(next_n() %% #people) + 1]
  return wrk.format("GET", "/api/v1/languages/%(language)s/sentences?count=5",
                    {["Cookie"] = person})
end
""",
    "clips": r"""
request = function()
  local person = people[(next_n() %% #people) + 1]
  return wrk.format("GET", "/api/v1/languages/%(language)s/clips?count=5",
                    {["Cookie"] = person})
end
""",
    "vote": r"""
local verdicts = {'{"verdict": "accept"}', '{"verdict": "reject"}'}
request = function()
  local n = next_n()
  local person, item = pair(n)
  return wrk.format("POST", "/api/v1/recordings/" .. item .. "/votes",
                    {["Cookie"] = person, ["Content-Type"] = "application/json"},
                    verdicts[(n %% 5 == 0) and 2 or 1])
end
""",
    "store": r"""
local file = io.open("%(wav)s", "rb")
local wav = file:read("*a")
file:close()
local boundary = "crowdsource-bench-boundary"
local function field(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name ..
         "\"\r\n\r\n" .. value .. "\r\n"
end
request = function()
  local n = next_n()
  local person, item = pair(n)
  local body = field("item_id", item) ..
    field("idempotency_key", string.format("bench-%%08d", n)) ..
    "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"audio\"; " ..
    "filename=\"take.wav\"\r\nContent-Type: audio/wav\r\n\r\n" .. wav .. "\r\n--" ..
    boundary .. "--\r\n"
  return wrk.format("POST", "/api/v1/recordings",
                    {["Cookie"] = person,
                     ["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, body)
end
""",
}


class LoadError(CrowdsourceError):
    code = "bench_failed"


@dataclass
class Result:
    """One wrk run's summary; `used` is how many request numbers it consumed (the next run of
    the same endpoint starts after them)."""

    name: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int
    app_cores: float = 0.0
    pg_cores: float = 0.0
    used: int = 0

    @property
    def app_ms_per_request(self) -> float:
        """CPU milliseconds the app (gunicorn and its workers) spent per request answered."""
        return self.app_cores * 1000 / self.rps if self.rps else 0.0

    @property
    def pg_ms_per_request(self) -> float:
        """CPU milliseconds PostgreSQL spent per request answered."""
        return self.pg_cores * 1000 / self.rps if self.rps else 0.0


def _lua_strings(values: list[str]) -> str:
    return ",".join(json.dumps(v) for v in values)


def speech_wav(path: Path, size: int = WAV_BYTES) -> Path:
    """A ~`size`-byte (~1.6 s) 16 kHz mono WAV of real speech, cut from the checkout's sample
    clip, made once: the store benchmark uploads the same take for every request, as a client
    would. (Made-up "speech-like" sound is refused by the server's voice-activity detector.)"""
    if path.exists():
        return path
    import wave

    with wave.open(str(SPEECH_SAMPLE)) as source:
        rate = source.getframerate()
        source.setpos(rate // 5)  # past the pause before the voice
        frames = source.readframes((size - 44) // 2)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


def wrk_script(endpoint: str, fixture: Fixture, folder: Path) -> Path:
    """The Lua script that makes `endpoint`'s requests."""
    if endpoint in ("sentences", "store"):
        people, items = fixture.speakers, [str(i) for i in fixture.sentence_ids]
    else:
        people, items = fixture.validators, fixture.recording_ids
    values = {
        "people": _lua_strings(people),
        "items": _lua_strings(items),
        "language": fixture.language,
        "wav": str(speech_wav(folder / "take.wav")),
    }
    path = folder / f"bench-{endpoint}.lua"
    path.write_text((_COMMON + _REQUESTS[endpoint]) % values, encoding="utf-8")
    return path


class CpuMeter:
    """CPU seconds used by the app (gunicorn and its workers) and by PostgreSQL (the
    postmaster of `pgdata` and its backends), read from /proc."""

    def __init__(self, app_pid: int, pgdata: Path) -> None:
        self.app_pid = app_pid
        self.pgdata = pgdata

    def sample(self) -> tuple[float, float]:
        stats = _proc_stats()
        pg_pid = _postmaster_pid(self.pgdata)
        return _tree_seconds(stats, self.app_pid), _tree_seconds(stats, pg_pid)


def _proc_stats() -> dict[int, tuple[int, float]]:
    """pid → (parent pid, CPU seconds) for every process we can read."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return found


def _tree_seconds(stats: dict[int, tuple[int, float]], root: int | None) -> float:
    if root is None or root not in stats:
        return 0.0
    total, frontier = 0.0, [root]
    while frontier:
        pid = frontier.pop()
        total += stats[pid][1]
        frontier.extend(child for child, (parent, _) in stats.items() if parent == pid)
    return total


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# wrk's own threads: two keep the load generator's share of the 2 cores small and still
# saturate 32 connections (wrk is event-driven; a thread serves many connections).
_THREADS = 2


def run_wrk(
    base: str,
    script: Path,
    connections: int,
    seconds: int,
    *,
    start: int = 0,
    meter: CpuMeter | None = None,
) -> Result:
    """Runs wrk for `seconds` at `connections`, numbering requests from `start`, and returns its
    summary (and the CPU the app and PostgreSQL used meanwhile). Raises LoadError."""
    before = meter.sample() if meter else (0.0, 0.0)
    command = [
        "wrk", f"-t{_THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(script), base, "--", str(_THREADS), str(start),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    after = meter.sample() if meter else (0.0, 0.0)
    match = re.search(r"^BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise LoadError(f"wrk failed: {(done.stderr or done.stdout).strip()[:300]}")
    summary = json.loads(match.group(1))
    elapsed = summary["duration_us"] / 1e6
    errors = sum(summary[k] for k in ("connect", "read", "write", "timeout", "status"))
    return Result(
        name=script.stem.removeprefix("bench-"),
        requests=summary["requests"],
        seconds=elapsed,
        rps=summary["requests"] / elapsed,
        p50_ms=summary["p50_us"] / 1000,
        p90_ms=summary["p90_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        errors=errors,
        app_cores=(after[0] - before[0]) / elapsed,
        pg_cores=(after[1] - before[1]) / elapsed,
        used=summary["used"],
    )
