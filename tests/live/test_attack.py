"""An attack on a live gunicorn (4 workers, the shipped limits and trust settings): a script
with up to 200 rotating sessions and a budget of 5,000 requests uploads 20 junk recordings
that pass the audio checks (speech, but another sentence read aloud), tries to get them
accepted with its own sessions' votes (waiting out each clip as the server requires), and
tries to hide 20 honest clips with reports. Afterwards no junk is accepted, no honest clip is
hidden, and the limits it met are the documented ones. Noise is refused outright.

Bounded: the script stops at its request budget or after ATTACK_SECONDS, whichever comes
first; it talks to 127.0.0.1 only.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
import wave
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
import requests

from app.db.embedded import start_embedded_postgres
from app.security.limits import LIMITS, NEW_SESSIONS_PER_ADDRESS
from tests.api.known_answers import seed_known_answers
from tests.conftest import CLI, SAMPLE_AUDIO, TEST_SECRET
from tests.live_server import clean_env, serve

pytestmark = pytest.mark.slow

SESSIONS_TRIED = 200
BUDGET = 5_000
JUNK = 20
HONEST = 20
ATTACK_SECONDS = 150
REPORTS_TO_HIDE = 3  # the shipped REPORTS_TO_HIDE


class Budget:
    """The script's request budget, shared by its threads."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.deadline = time.monotonic() + ATTACK_SECONDS
        self.lock = threading.Lock()
        self.statuses: Counter[tuple[str, int]] = Counter()

    def spend(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() > self.deadline:
                return False
            self.left -= 1
            return True

    def note(self, what: str, response: requests.Response) -> requests.Response:
        with self.lock:
            self.statuses[(what, response.status_code)] += 1
        return response


def per_minute(spec: str) -> int:
    """The per-minute number of a limit such as "30 per minute;300 per hour"."""
    for part in spec.split(";"):
        number, _, unit = part.strip().split(" ")
        if unit == "minute":
            return int(number)
    raise AssertionError(f"no per-minute limit in {spec!r}")


def noise_wav(seconds: float = 3.0) -> bytes:
    samples = np.random.default_rng(7).normal(0, 0.3, int(16_000 * seconds))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def arrange(database_url: str) -> tuple[list[str], list[int]]:
    """Known answers (so warm-up is on), 20 honest pending clips, 40 sentences to record.
    Returns (honest clip ids, sentence ids)."""
    with psycopg.connect(database_url, autocommit=True, row_factory=psycopg.rows.dict_row) as db:
        seed_known_answers(db, each=6)
        honest_speaker = uuid.uuid4()
        db.execute("INSERT INTO contributors (id) VALUES (%s)", (honest_speaker,))
        honest = []
        for i in range(HONEST):
            item = db.execute(
                "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', %s)"
                " RETURNING id",
                (f"ईमानदार वाक्य {i} {uuid.uuid4().hex[:6]}",),
            ).fetchone()["id"]
            public_id = uuid.uuid4()
            db.execute(
                """INSERT INTO contributions (public_id, contributor_id, item_id, language_code,
                       kind, idempotency_key, media_key, duration_ms)
                   VALUES (%s, %s, %s, 'hi', 'recording', %s, %s, 2500)""",
                (public_id, honest_speaker, item, uuid.uuid4().hex, f"recordings/{public_id}.wav"),
            )
            honest.append(str(public_id))
        sentences = [
            db.execute(
                "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', %s)"
                " RETURNING id",
                (f"दूसरा वाक्य {i} {uuid.uuid4().hex[:6]}",),
            ).fetchone()["id"]
            for i in range(40)
        ]
    return honest, sentences


def attack(url: str, honest: list[str], sentences: list[int]) -> dict[str, Any]:
    """The script. Returns what it got."""
    budget = Budget(BUDGET)
    started = time.monotonic()
    sessions: list[requests.Session] = []
    for _ in range(SESSIONS_TRIED):  # rotate through as many sessions as the server gives
        if not budget.spend():
            break
        s = requests.Session()
        if budget.note("session", s.post(f"{url}/api/v1/session", timeout=10)).status_code == 201:
            sessions.append(s)
    assert sessions, budget.statuses

    junk_audio = (SAMPLE_AUDIO / "hi_2.wav").read_bytes()  # speech, another sentence
    junk: list[str] = []
    noise_refused = 0
    for i, item in enumerate(sentences):
        if len(junk) >= JUNK or not budget.spend():
            break
        speaker = sessions[i % len(sessions)]
        response = budget.note("upload", speaker.post(
            f"{url}/api/v1/recordings",
            data={"item_id": str(item), "idempotency_key": uuid.uuid4().hex},
            files={"audio": ("take.wav", junk_audio, "audio/wav")}, timeout=60,
        ))  # fmt: skip
        if response.status_code == 201:
            junk.append(response.json()["recording"]["id"])
    for i in range(5):
        if not budget.spend():
            break
        response = budget.note("noise", sessions[i % len(sessions)].post(
            f"{url}/api/v1/recordings",
            data={"item_id": str(sentences[-1 - i]), "idempotency_key": uuid.uuid4().hex},
            files={"audio": ("take.wav", noise_wav(), "audio/wav")}, timeout=60,
        ))  # fmt: skip
        noise_refused += response.status_code == 422

    junk_ids = set(junk)

    def work(session: requests.Session) -> None:
        """One session: report the honest clips, then validate: accept junk, guess the rest."""
        for clip_id in honest:
            if not budget.spend():
                return
            budget.note("report", session.post(
                f"{url}/api/v1/reports",
                json={"target": "recording", "id": clip_id, "reason": "poor_audio"}, timeout=10,
            ))  # fmt: skip
        rounds = 0
        while rounds < 6 and budget.spend():
            rounds += 1
            answer = budget.note(
                "clips", session.get(f"{url}/api/v1/languages/hi/clips?count=20", timeout=10)
            )
            if answer.status_code != 200 or not answer.json()["clips"]:
                return
            served = answer.json()["clips"]
            # wait out the longest clip once, as the rules require, then answer all of them
            time.sleep(max(c["duration_ms"] for c in served) / 1000 * 0.85 + 0.2)
            for clip in served:
                if not budget.spend():
                    return
                mine = clip["id"] in junk_ids
                if mine or clip.get("practice"):
                    budget.note("vote", session.post(
                        f"{url}/api/v1/recordings/{clip['id']}/votes",
                        json={"verdict": "accept"}, timeout=10,
                    ))  # fmt: skip
                else:  # not ours, and no way to judge it: pass on it
                    budget.note("skip", session.post(
                        f"{url}/api/v1/recordings/{clip['id']}/skip", timeout=10
                    ))  # fmt: skip

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, sessions))
    return {
        "sessions": len(sessions),
        "junk": junk,
        "noise_refused": noise_refused,
        "statuses": budget.statuses,
        "spent": BUDGET - budget.left,
        "seconds": int(time.monotonic() - started) + 1,
    }


def count_outcome(database_url: str, junk: list[str], honest: list[str]) -> tuple[Any, ...]:
    """What the attack left: its junk's rows, the honest clips' rows, the reports, and how
    many validators are in each standing."""
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as db:
        junk_rows = db.execute(
            "SELECT status, accept_count FROM contributions WHERE public_id = ANY(%s::uuid[])",
            (junk,),
        ).fetchall()
        honest_rows = db.execute(
            "SELECT report_count, status FROM contributions WHERE public_id = ANY(%s::uuid[])",
            (honest,),
        ).fetchall()
        reports = db.execute(
            "SELECT count(*) AS n, count(*) FILTER (WHERE counted) AS counted FROM reports"
        ).fetchone()
        states = {
            r["state"]: r["n"]
            for r in db.execute(
                "SELECT state, count(*) AS n FROM validator_standing GROUP BY state"
            ).fetchall()
        }

    return junk_rows, honest_rows, reports, states


def test_a_scripted_attack_accepts_no_junk_and_hides_no_honest_clip(tmp_path: Path) -> None:
    """`crowdsource serve` with its defaults: the embedded PostgreSQL in DATA_DIR (this test
    joins the same server to arrange and to count), local storage, 4 workers."""
    (tmp_path / "cwd").mkdir()
    cli = CLI(clean_env(), tmp_path / "cwd")
    data = tmp_path / "data"
    env = {"DATA_DIR": str(data), "SECRET_KEY": TEST_SECRET, "WEB_CONCURRENCY": "4"}
    with serve(cli, "--refresh-every", "off", **env) as live:
        database_url = start_embedded_postgres(data / "pgdata")
        honest, sentences = arrange(database_url)
        got = attack(live.url, honest, sentences)
        counted = count_outcome(database_url, got["junk"], honest)

    statuses = got["statuses"]
    print(f"attack: {got['spent']} requests in {got['seconds']} s, {got['sessions']} sessions,",
          dict(sorted(statuses.items())))  # fmt: skip
    assert got["spent"] <= BUDGET
    # The limits it met are the documented ones: new sessions per address.
    assert got["sessions"] == per_minute(NEW_SESSIONS_PER_ADDRESS), statuses
    assert statuses[("session", 429)] == min(SESSIONS_TRIED, got["spent"]) - got["sessions"]
    assert len(got["junk"]) == JUNK, statuses  # junk that passes the audio checks is stored...
    assert got["noise_refused"] == 5, statuses  # ...noise is not
    assert statuses[("vote", 201)] > 0, statuses  # the script did vote, waiting as required
    # reports: the address's per-minute limit, in each minute the attack lasted
    minutes = -(-got["seconds"] // 60)
    reports_per_minute = per_minute(LIMITS["reports.report"].per_address)
    assert 0 < statuses[("report", 201)] <= reports_per_minute * minutes, statuses
    assert statuses[("report", 429)] > 0, statuses

    junk_rows, honest_rows, reports, states = counted
    assert [r["status"] for r in junk_rows] == ["pending"] * JUNK, (junk_rows, states)
    assert all(r["accept_count"] == 0 for r in junk_rows)  # no vote of theirs counted
    assert len(honest_rows) == HONEST
    assert all(r["report_count"] < REPORTS_TO_HIDE for r in honest_rows), honest_rows
    assert reports["n"] > 0 and reports["counted"] == 0, reports
    assert "counting" not in states, states  # no attacker session earned trust
