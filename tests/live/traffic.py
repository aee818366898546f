"""Upload traffic for the fault-injection tests: new visitors uploading one after another on
several threads while a test breaks and mends a dependency, and what each of them was answered.

Each visitor asks for a session first (`POST /api/v1/session`, what a write needs) and then
uploads; a session refused during an outage is that visitor's answer. The uploads go round the
Hindi sentences, whose cap the traffic raises to the schema's maximum (100 recordings each) so
that no upload is refused as `sentence_full`: the tests are about outages, not the cap.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import requests

from tests.conftest import SAMPLE_AUDIO

AUDIO = (SAMPLE_AUDIO / "hi_1.wav").read_bytes()
MAX_PER_SENTENCE = 100


@dataclass
class Answer:
    status: int
    seconds: float
    body: dict
    retry_after: str | None


def upload_stream(
    url: str, next_item: Callable[[], int], answers: list[Answer], done: threading.Event
) -> None:
    """New visitors, each with a session of their own, uploading one after another until
    `done`; each visitor's answer (the upload's, or the session's when that was refused) is
    appended to `answers`."""
    while not done.is_set():
        started = time.monotonic()
        try:
            with requests.Session() as visitor:
                response = visitor.post(f"{url}/api/v1/session", timeout=60)
                if response.status_code == 201:
                    response = visitor.post(
                        f"{url}/api/v1/recordings",
                        data={"item_id": str(next_item()), "idempotency_key": uuid.uuid4().hex},
                        files={"audio": ("take.wav", AUDIO, "audio/wav")},
                        timeout=60,
                    )
        except requests.RequestException as exc:  # a dropped connection is a failure too
            answers.append(Answer(0, time.monotonic() - started, {"exc": repr(exc)}, None))
            continue
        answers.append(
            Answer(
                response.status_code,
                time.monotonic() - started,
                response.json(),
                response.headers.get("Retry-After"),
            )
        )


def wait_for_readiness(url: str, status: int, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if requests.get(f"{url}/readyz", timeout=10).status_code == status:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"/readyz did not answer {status} within {within} s")


def _hindi_sentences(database_url: str) -> list[int]:
    """The Hindi sentences, with room for MAX_PER_SENTENCE recordings each."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE languages SET max_recordings_per_item = %s WHERE code = 'hi'",
            (MAX_PER_SENTENCE,),
        )
        rows = conn.execute(
            "SELECT id FROM dataset_rows WHERE language_code = 'hi' AND kind = 'sentence'"
            " AND is_active ORDER BY id"
        ).fetchall()
    assert rows, "no Hindi sentences to record"
    return [row[0] for row in rows]


@contextlib.contextmanager
def uploads_running(url: str, uploaders: int, database_url: str) -> Iterator[list[Answer]]:
    """`uploaders` threads uploading to the Hindi sentences in turn until the block ends;
    yields the list the answers are appended to as they arrive."""
    sentences = itertools.cycle(_hindi_sentences(database_url))
    lock = threading.Lock()

    def next_item() -> int:
        with lock:
            return next(sentences)

    answers: list[Answer] = []
    done = threading.Event()
    threads = [
        threading.Thread(target=upload_stream, args=(url, next_item, answers, done))
        for _ in range(uploaders)
    ]
    for thread in threads:
        thread.start()
    try:
        yield answers
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=120)


def assert_201_or_quick_503(
    answers: list[Answer], within: float, codes: tuple[str, ...] = ("database_unavailable",)
) -> list[int]:
    """What every outage test asks of the answers: each a 201, or a 503 with one of `codes`
    and a Retry-After, and none slower than `within` seconds. Returns the statuses in order."""
    statuses = [a.status for a in answers]
    assert set(statuses) <= {201, 503}, [a for a in answers if a.status not in (201, 503)]
    slowest = max(answers, key=lambda a: a.seconds)
    assert slowest.seconds < within, (slowest.status, slowest.seconds)
    for refused in (a for a in answers if a.status == 503):
        assert refused.body["error"]["code"] in codes
        assert int(refused.retry_after or 0) > 0
    return statuses
