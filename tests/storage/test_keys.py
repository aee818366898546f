"""Keys are built from our own values only, and anything odd is refused before storage."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.storage import InvalidKey, validate_key
from app.storage.keys import (
    AUDIO_EXTENSIONS,
    IMAGE_EXTENSIONS,
    dashboard_key,
    is_valid_key,
    media_key,
    recording_key,
)

CLIP = uuid.UUID("3f2a9c4e-8b1d-4e6f-9a7b-0c5d2e8f1a3b")


def test_recording_key_spreads_recordings_by_language_and_uuid_prefix() -> None:
    assert recording_key("hi", CLIP, "webm") == f"recordings/hi/3f/{CLIP}.webm"


@pytest.mark.parametrize("extension", AUDIO_EXTENSIONS)
def test_recording_key_accepts_every_browser_audio_format(extension: str) -> None:
    assert recording_key("ta", CLIP, extension).endswith(f".{extension}")


def test_recording_key_lowers_a_language_code_with_a_region() -> None:
    assert recording_key("en-IN", CLIP, "ogg") == f"recordings/en-in/3f/{CLIP}.ogg"


@pytest.mark.parametrize(
    "language", ["", "h", "hindi", "hi/../x", "hi/en", "../hi", "hi ", "हि", "hi_in"]
)
def test_recording_key_refuses_a_malformed_language_code(language: str) -> None:
    with pytest.raises(InvalidKey):
        recording_key(language, CLIP, "webm")


@pytest.mark.parametrize("extension", ["exe", "WEBM", ".webm", "webm/x", "", "json"])
def test_recording_key_refuses_an_extension_outside_the_allow_list(extension: str) -> None:
    with pytest.raises(InvalidKey):
        recording_key("hi", CLIP, extension)


@pytest.mark.parametrize("identifier", [str(CLIP), "../../etc/passwd", 42, None])
def test_recording_key_refuses_anything_but_a_uuid(identifier: Any) -> None:
    with pytest.raises(InvalidKey):
        recording_key("hi", identifier, "webm")


def test_media_key_separates_audio_and_images() -> None:
    assert media_key("audio", "bn", CLIP, "mp3") == f"media/audio/bn/3f/{CLIP}.mp3"
    assert media_key("image", "bn", CLIP, "png") == f"media/image/bn/3f/{CLIP}.png"


@pytest.mark.parametrize(
    ("kind", "extension"),
    [("image", "webm"), ("audio", "png"), ("video", "mp4"), ("../audio", "mp3"), ("", "mp3")],
)
def test_media_key_refuses_an_unknown_kind_or_a_mismatched_extension(
    kind: str, extension: str
) -> None:
    with pytest.raises(InvalidKey):
        media_key(kind, "bn", CLIP, extension)


def test_every_image_extension_makes_a_media_key() -> None:
    for extension in IMAGE_EXTENSIONS:
        assert media_key("image", "mr", CLIP, extension).endswith(f".{extension}")


@pytest.mark.parametrize(
    ("version", "name", "expected"),
    [
        (3, "summary", "dashboard/3/summary.json"),
        ("latest", "languages", "dashboard/latest/languages.json"),
        (0, "by-language_hi", "dashboard/0/by-language_hi.json"),
    ],
)
def test_dashboard_key_names_a_published_document(
    version: int | str, name: str, expected: str
) -> None:
    assert dashboard_key(version, name) == expected


@pytest.mark.parametrize(
    ("version", "name"),
    [
        (-1, "summary"),
        (True, "summary"),
        ("Latest", "summary"),
        ("../x", "summary"),
        (3, "../summary"),
        (3, "summary.json"),
        (3, ""),
        (3, "Summary"),
        (1.5, "summary"),
    ],
)
def test_dashboard_key_refuses_odd_versions_and_names(version: Any, name: Any) -> None:
    with pytest.raises(InvalidKey):
        dashboard_key(version, name)


def test_every_built_key_passes_validation() -> None:
    for key in (
        recording_key("hi", CLIP, "webm"),
        media_key("image", "hi", CLIP, "jpg"),
        dashboard_key(12, "summary"),
    ):
        assert validate_key(key) == key
        assert is_valid_key(key)


def test_is_valid_key_answers_without_raising() -> None:
    assert not is_valid_key("../x")
    assert not is_valid_key(".summary.json.meta")
    assert is_valid_key("a/b.json")
