"""Malformed uploads through the app: each is refused with a 4xx JSON error, in bounded time,
with no recording row, no stored object, and no temporary file left on disk or open.

(test_speak.py has the everyday refusals: empty, silent, too short, text, PNG, a 60 s take,
6 MB of noise; these are the hostile and broken ones.)"""

from __future__ import annotations

import gc
import io
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import clip, count_rows, error_of, stored_objects
from tests.api.malformed import MALFORMED

SECONDS_PER_REFUSAL = 5  # the audio check is bounded; a refusal must never be slow


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Python's temporary folder for this test, where werkzeug spools large parts."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def open_files_under(folder: Path, pid: int | str = "self") -> list[str]:
    """Files under `folder` that process `pid` holds open (an unlinked temporary file is
    invisible in the folder but still shows here, as '<folder>/#123 (deleted)')."""
    held = []
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir() if fds.exists() else ():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder)):
            held.append(target)
    return held


def assert_nothing_kept(app, db, spool: Path) -> None:
    # The test client's response keeps the app's request (and so its files) alive, and a part
    # cut off by a refusal mid-parse is freed with the exception's frames: collect both first.
    gc.collect()
    assert count_rows(db, "contributions") == 0
    assert stored_objects(app) == []
    assert list(spool.iterdir()) == []
    assert open_files_under(spool) == []


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_recording_is_refused_and_leaves_nothing_behind(
    app, person, add_sentences, db, spool, name
) -> None:
    audio, filename, content_type, expected = MALFORMED[name]
    (item,) = add_sentences(1)
    form = {
        "item_id": str(item),
        "idempotency_key": f"malformed-{name}",
        "audio": (io.BytesIO(audio), filename, content_type),
    }

    started = time.monotonic()
    response = person().post("/api/v1/recordings", data=form, content_type="multipart/form-data")

    assert time.monotonic() - started < SECONDS_PER_REFUSAL
    assert error_of(response) == expected
    del response
    assert_nothing_kept(app, db, spool)


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        (
            "application/json",
            b'{"item_id": 1, "idempotency_key": "abcdefgh", "audio": "UklG"}',
            (400, "missing_field"),
        ),
        (
            "application/x-www-form-urlencoded",
            b"item_id=1&idempotency_key=abcdefgh&audio=RIFF",
            (400, "missing_field"),
        ),
        ("application/octet-stream", clip("hi_1.wav"), (400, "missing_field")),
        ("audio/wav", clip("hi_1.wav"), (400, "missing_field")),
        ("text/plain", b"item_id=1", (400, "missing_field")),
        ("multipart/form-data", clip("hi_1.wav"), (400, "missing_field")),  # no boundary
        (
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\ngarbage without an end",
            (400, "missing_field"),
        ),
    ],
    ids=["json", "urlencoded", "octet-stream", "raw-wav", "text", "no-boundary", "broken-parts"],
)
def test_an_upload_that_is_not_multipart_form_data_is_refused(
    app, person, add_sentences, db, spool, content_type, body, expected
) -> None:
    (item,) = add_sentences(1)
    body = body.replace(b"item_id=1", f"item_id={item}".encode())

    response = person().post(
        f"/api/v1/recordings?item_id={item}", data=body, content_type=content_type
    )

    assert error_of(response) == expected
    del response
    assert_nothing_kept(app, db, spool)


def test_a_declared_length_far_over_the_limit_is_refused_before_the_body_is_read(
    app, person, add_sentences, db, spool
) -> None:
    (item,) = add_sentences(1)
    body = io.BytesIO(b"x" * 1024)  # what actually comes: 1 KB

    response = person().post(
        f"/api/v1/recordings?item_id={item}",
        input_stream=body,
        content_type="multipart/form-data; boundary=xyz",
        environ_overrides={"CONTENT_LENGTH": str(10 * 1024**3)},  # what it claims: 10 GB
    )

    assert error_of(response) == (413, "too_large")
    assert body.tell() == 0  # not one byte was read
    del response
    assert_nothing_kept(app, db, spool)
