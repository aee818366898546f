"""Races on a live gunicorn (two processes, four threads each, each process its own pool):
many people voting on one recording at once, and one person's upload retried 50 times at once
with the same idempotency key. Everyone has a session, and the voters were handed the clip
and had the time to hear it, as the server requires."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests

from tests.conftest import SAMPLE_AUDIO
from tests.live_server import LiveApp, listen, new_session

VOTERS = 100
RETRIES = 50


def upload(session: requests.Session, url: str, item_id: int, key: str) -> requests.Response:
    audio = (SAMPLE_AUDIO / "hi_1.wav").read_bytes()
    return session.post(
        f"{url}/api/v1/recordings",
        data={"item_id": str(item_id), "idempotency_key": key},
        files={"audio": ("take.wav", audio, "audio/wav")},
        timeout=60,
    )


def first_sentence(url: str) -> int:
    batch = requests.get(f"{url}/api/v1/languages/hi/sentences?count=1", timeout=10).json()
    return int(batch["sentences"][0]["id"])


def test_a_hundred_people_voting_at_once_leave_exact_counts_and_one_verdict(
    live_app: LiveApp, live_database_url: str
) -> None:
    speaker = new_session(live_app.url)
    made = upload(speaker, live_app.url, first_sentence(live_app.url), uuid.uuid4().hex)
    assert made.status_code == 201, made.text
    recording = made.json()["recording"]["id"]
    with ThreadPoolExecutor(8) as pool:
        people = list(pool.map(lambda _: new_session(live_app.url), range(VOTERS)))
    listen(live_app.url, people, recording)
    start = threading.Barrier(VOTERS)

    def vote(i: int) -> tuple[str, int]:
        verdict = "accept" if i % 3 else "reject"  # 66 accept, 34 reject
        with people[i] as person:
            start.wait(timeout=30)
            answer = person.post(
                f"{live_app.url}/api/v1/recordings/{recording}/votes",
                json={"verdict": verdict},
                timeout=60,
            )
        return verdict, answer.status_code

    with ThreadPoolExecutor(VOTERS) as pool:
        results = list(pool.map(vote, range(VOTERS)))

    assert {status for _, status in results} == {201}, Counter(results)
    counted = Counter(verdict for verdict, _ in results)
    with psycopg.connect(live_database_url) as conn:
        accepts, rejects, status = conn.execute(
            "SELECT accept_count, reject_count, status FROM contributions WHERE public_id = %s",
            (recording,),
        ).fetchone()
        votes = conn.execute("SELECT count(*) FROM validations").fetchone()[0]
        voters = conn.execute("SELECT count(DISTINCT validator_id) FROM validations").fetchone()[0]
    assert (accepts, rejects) == (counted["accept"], counted["reject"]) == (66, 34)
    assert votes == voters == VOTERS
    assert status == "accepted"  # decided once, by the first two accepts, and never flipped


def test_fifty_retries_of_one_upload_at_once_store_one_recording(
    live_app: LiveApp, live_database_url: str, tmp_path: Path
) -> None:
    speaker = new_session(live_app.url)
    item, key = first_sentence(live_app.url), uuid.uuid4().hex
    start = threading.Barrier(RETRIES)
    cookie = speaker.cookies.get_dict()

    def retry(_: int) -> requests.Response:
        with requests.Session() as same_person:  # same cookie, own connection
            same_person.cookies.update(cookie)
            start.wait(timeout=30)
            return upload(same_person, live_app.url, item, key)

    with ThreadPoolExecutor(RETRIES) as pool:
        answers = list(pool.map(retry, range(RETRIES)))

    assert {a.status_code for a in answers} <= {200, 201}, Counter(a.status_code for a in answers)
    assert [a.status_code for a in answers].count(201) == 1
    assert len({a.json()["recording"]["id"] for a in answers}) == 1
    with psycopg.connect(live_database_url) as conn:
        rows = conn.execute("SELECT media_key FROM contributions").fetchall()
        count = conn.execute(
            "SELECT contribution_count FROM dataset_rows WHERE id = %s", (item,)
        ).fetchone()[0]
    # The local backend keeps each object's content type in a dotted sidecar file; the demo's
    # clips and images to transcribe and label live under media/, not recordings/.
    stored = [
        p for p in (tmp_path / "live" / "storage" / "recordings").rglob("*")
        if p.is_file() and not p.name.startswith(".")
    ]  # fmt: skip
    assert len(rows) == 1 and count == 1
    assert [p.relative_to(tmp_path / "live" / "storage").as_posix() for p in stored] == [rows[0][0]]
