"""What an export may say about people: salted speaker ids, and when demographics are withheld.

A contributor id is the value of their signed cookie: publishing it would let anyone holding
the dataset recognise a browser. The export shows instead an HMAC-SHA256 of the id keyed
with a salt that is never published, so the same speaker has the same id across exports
made with the same salt, and nobody without the salt can link an id to a contributor.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from app.settings import Settings, with_secret_key

SPEAKER_ID_HEX = 40  # 160 bits: no collisions in practice, visibly not a UUID
MIN_SPEAKERS_FOR_DEMOGRAPHICS = 5
_SALT_CONTEXT = b"crowdsource/export/speaker-id/v1"


def default_salt(settings: Settings) -> bytes:
    """The salt used when none is given: derived from SECRET_KEY (in embedded mode the key
    kept in DATA_DIR), never the key itself, so it stays stable while the key does.

    Raises SettingsError when no secret key is configured for an external database.
    """
    key = with_secret_key(settings).secret_key
    assert key is not None
    return hmac.new(key.encode(), _SALT_CONTEXT, hashlib.sha256).digest()


class SpeakerIds:
    """Maps contributor ids to published speaker ids (memoised: a speaker has many clips)."""

    def __init__(self, salt: bytes) -> None:
        if not salt:
            raise ValueError("the speaker-id salt must not be empty")
        self._salt = salt
        self._known: dict[str, str] = {}

    def __call__(self, contributor_id: uuid.UUID | str) -> str:
        """The published id of `contributor_id` (a UUID, or its text in any usual form)."""
        canonical = str(uuid.UUID(str(contributor_id)))
        found = self._known.get(canonical)
        if found is None:
            digest = hmac.new(self._salt, canonical.encode(), hashlib.sha256).hexdigest()
            found = self._known[canonical] = digest[:SPEAKER_ID_HEX]
        return found


def demographics_allowed(speaker_count: int) -> bool:
    """Demographics are published only for a language with at least 5 speakers; with fewer,
    age, gender, mother tongue and state could single a person out."""
    return speaker_count >= MIN_SPEAKERS_FOR_DEMOGRAPHICS
