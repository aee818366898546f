"""Upload traffic for the fault-injection tests: new visitors uploading one after another on
several threads while a test breaks and mends a dependency, and what each of them was answered."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import requests

from tests.conftest import SAMPLE_AUDIO

AUDIO = (SAMPLE_AUDIO / "hi_1.wav").read_bytes()


@dataclass
class Answer:
    status: int
    seconds: float
    body: dict
    retry_after: str | None


def upload_stream(url: str, item: int, answers: list[Answer], done: threading.Event) -> None:
    """New visitors uploading one after another until `done`."""
    while not done.is_set():
        started = time.monotonic()
        try:
            response = requests.post(
                f"{url}/api/v1/recordings",
                data={"item_id": str(item), "idempotency_key": uuid.uuid4().hex},
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


@contextlib.contextmanager
def uploads_running(url: str, uploaders: int) -> Iterator[list[Answer]]:
    """`uploaders` threads uploading to the first Hindi sentence until the block ends; yields
    the list the answers are appended to as they arrive."""
    item = requests.get(f"{url}/api/v1/languages/hi/sentences?count=1", timeout=10).json()
    item_id = item["sentences"][0]["id"]
    answers: list[Answer] = []
    done = threading.Event()
    threads = [
        threading.Thread(target=upload_stream, args=(url, item_id, answers, done))
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
