"""Where objects live in the bucket: keys built only from values the application owns.

Nothing a user types ends up in a key unchecked: language codes are checked against a
pattern, identifiers are UUIDs, extensions come from fixed allow-lists. Every builder returns
`validate_key` of what it built, so a bug here raises InvalidKey instead of writing elsewhere.
"""

from __future__ import annotations

import re
import uuid

from app.errors import InvalidKey
from app.storage.base import validate_key

AUDIO_EXTENSIONS = ("webm", "ogg", "mp4", "m4a", "wav", "mp3")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
MEDIA_EXTENSIONS = {"audio": AUDIO_EXTENSIONS, "image": IMAGE_EXTENSIONS}

# BCP 47 shaped, lower case: "hi", "mni", "mni-mtei", "en-in".
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8}){0,3}")
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def recording_key(language_code: str, contribution_uuid: uuid.UUID, extension: str) -> str:
    """Key of a contributed recording: `recordings/<lang>/<uuid[:2]>/<uuid>.<ext>`.

    The two-character folder spreads objects out. Raises InvalidKey for a malformed language
    code, a non-UUID identifier or an extension outside AUDIO_EXTENSIONS.
    """
    lang = _language(language_code)
    ident = _uuid(contribution_uuid)
    ext = _extension(extension, AUDIO_EXTENSIONS)
    return validate_key(f"recordings/{lang}/{ident[:2]}/{ident}.{ext}")


def media_key(kind: str, language_code: str, media_uuid: uuid.UUID, extension: str) -> str:
    """Key of ingested media: `media/<kind>/<lang>/<uuid[:2]>/<uuid>.<ext>`.

    `kind` is "audio" or "image"; the extension must be allowed for that kind. Raises
    InvalidKey for anything else.
    """
    if kind not in MEDIA_EXTENSIONS:
        raise InvalidKey(f"unknown media kind {kind!r} (expected one of: audio, image)")
    lang = _language(language_code)
    ident = _uuid(media_uuid)
    ext = _extension(extension, MEDIA_EXTENSIONS[kind])
    return validate_key(f"media/{kind}/{lang}/{ident[:2]}/{ident}.{ext}")


def dashboard_key(version: int | str, name: str) -> str:
    """Key of a published dashboard document: `dashboard/<version>/<name>.json`.

    `version` is a non-negative number or a lower-case name such as "latest"; `name` is a
    lower-case name. Raises InvalidKey otherwise.
    """
    if isinstance(version, bool) or not isinstance(version, int | str):
        raise InvalidKey(f"dashboard version {version!r} is not a number or a name")
    if isinstance(version, int) and version < 0:
        raise InvalidKey(f"dashboard version {version} is negative")
    label = str(version)
    if not _NAME_RE.fullmatch(label):
        raise InvalidKey(f"dashboard version {version!r} is not a lower-case name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise InvalidKey(f"dashboard document name {name!r} is not a lower-case name")
    return validate_key(f"dashboard/{label}/{name}.json")


def is_valid_key(key: str) -> bool:
    """True if `validate_key` would accept `key`; used to skip strays when listing."""
    try:
        validate_key(key)
    except InvalidKey:
        return False
    return True


def _language(code: str) -> str:
    normalized = code.lower() if isinstance(code, str) else ""
    if not _LANGUAGE_RE.fullmatch(normalized):
        raise InvalidKey(f"language code {code!r} is not a BCP 47 style code such as 'hi'")
    return normalized


def _uuid(value: uuid.UUID) -> str:
    if not isinstance(value, uuid.UUID):
        raise InvalidKey(f"expected a UUID, got {type(value).__name__}")
    return str(value)


def _extension(extension: str, allowed: tuple[str, ...]) -> str:
    if extension not in allowed:
        raise InvalidKey(f"extension {extension!r} is not one of: {', '.join(allowed)}")
    return extension
