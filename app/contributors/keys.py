"""The contributor key: how a volunteer moves to another device without an account.

No e-mail, no phone number: the key itself is the credential. It is 16 bytes written in
Crockford's base32 (26 characters, shown in groups of four):

    nonce (8 random bytes, contributors.key_nonce) + first 8 bytes of
    HMAC-SHA256(SECRET_KEY, "contributor-key" + contributor uuid bytes + nonce)

The nonce is made on the first reveal and kept, so the key can be shown again at any time
(it is computed, never stored). Entering a key finds the contributor by its nonce (a unique
index) and checks the MAC in constant time; a malformed key, an unknown nonce and a wrong MAC
all answer the same `invalid_contributor_key`, so the answer tells a guesser nothing (and
guesses are rate-limited: app/security/limits.py). Guessing is hopeless anyway: both halves
are 64 random bits to the guesser.

(The code is not `invalid_key`: that one is object storage's, a 500 for an object key the
application would never build.)

Rotation replaces the nonce (the old key stops working) and moves
contributors.session_generation on, which revokes every session cookie of an older
generation (app/contributors/identity.py): the other devices lose access.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from app.db import Conn
from app.errors import CrowdsourceError
from app.i18n.text import Text

NONCE_BYTES = 8
MAC_BYTES = 8
KEY_CHARS = 26  # 128 bits in 5-bit characters, the last one carrying 3 bits and 2 zeros
# Crockford's base32: no I, L, O or U, so nothing is read as another letter or a word.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(_ALPHABET)}
# What people type for what they see (Crockford): O for 0, I and L for 1.
_VALUE.update({"O": 0, "I": 1, "L": 1})
# Longer input is refused before it is looked at (a URL with the key in its fragment fits).
MAX_INPUT_CHARS = 200
_LABEL = b"contributor-key"


class InvalidContributorKey(CrowdsourceError):
    """A key that is malformed, unknown or wrong: one answer for all three (no oracle)."""

    code = "invalid_contributor_key"
    http_status = 422


@dataclass(frozen=True)
class KeyOwner:
    """Who a key belongs to, and the session generation a new cookie of theirs carries."""

    contributor_id: uuid.UUID
    generation: int


def _mac(secret: str, contributor_id: uuid.UUID, nonce: bytes) -> bytes:
    message = _LABEL + contributor_id.bytes + nonce
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()[:MAC_BYTES]


def format_key(raw: bytes) -> str:
    """16 bytes as the key people see: Crockford base32 in groups of four, "ABCD-EFGH-..."."""
    number = int.from_bytes(raw, "big") << (5 * KEY_CHARS - 8 * len(raw))
    chars = [_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(KEY_CHARS))]
    text = "".join(chars)
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_key(text: object) -> bytes:
    """The 16 bytes of a key as typed: case, spaces and dashes do not matter, O reads as 0,
    I and L as 1, and a whole /key#... link is taken for its fragment.

    Raises InvalidContributorKey."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        raise _invalid()
    if "#" in text:
        text = text.rsplit("#", 1)[1]
    compact = "".join(ch for ch in text.upper() if ch not in " -\t\r\n")
    if len(compact) != KEY_CHARS or any(ch not in _VALUE for ch in compact):
        raise _invalid()
    number = 0
    for ch in compact:
        number = number << 5 | _VALUE[ch]
    spare = 5 * KEY_CHARS - 8 * (NONCE_BYTES + MAC_BYTES)
    if number & ((1 << spare) - 1):  # the padding bits of the last character are zeros
        raise _invalid()
    return (number >> spare).to_bytes(NONCE_BYTES + MAC_BYTES, "big")


def _invalid() -> InvalidContributorKey:
    return InvalidContributorKey(
        Text(
            "This key is not valid. Check that you copied all of it, or reveal it again on "
            "the other device: if it was replaced there, only the new key works."
        ),
        field="key",
    )


# The nonce is made once, by the first reveal; two reveals at once both answer the nonce
# the first of them stored (the second's UPDATE waits on the row lock, then sees it set).
_REVEAL = """
UPDATE contributors SET key_nonce = coalesce(key_nonce, %(nonce)s)
 WHERE id = %(id)s
RETURNING key_nonce
"""


def reveal_key(conn: Conn, secret: str, contributor_id: uuid.UUID) -> str:
    """The contributor's key, made on the first reveal. The row must exist (ensure_contributor).
    Eight random bytes meet another contributor's nonce once in about 2^32 keys made: we do not
    plan for it (it would answer 500 once, and the next reveal draws again)."""
    row = conn.execute(
        _REVEAL, {"id": contributor_id, "nonce": secrets.token_bytes(NONCE_BYTES)}
    ).fetchone()
    if row is None:
        raise LookupError(f"no contributor {contributor_id}")
    nonce = bytes(row["key_nonce"])
    return format_key(nonce + _mac(secret, contributor_id, nonce))


_ROTATE = """
UPDATE contributors
   SET key_nonce = %(nonce)s, session_generation = session_generation + 1, updated_at = now()
 WHERE id = %(id)s
RETURNING session_generation
"""


def rotate_key(conn: Conn, secret: str, contributor_id: uuid.UUID) -> tuple[str, int]:
    """A new key (the old one stops working) and a new session generation (every cookie of an
    older one is refused from now on): the new key and the new generation."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    row = conn.execute(_ROTATE, {"id": contributor_id, "nonce": nonce}).fetchone()
    if row is None:
        raise LookupError(f"no contributor {contributor_id}")
    return format_key(nonce + _mac(secret, contributor_id, nonce)), int(row["session_generation"])


_BY_NONCE = """
SELECT id, session_generation FROM contributors WHERE key_nonce = %(nonce)s
"""


def owner_of_key(conn: Conn, secret: str, text: object) -> KeyOwner:
    """Whose key this is (and their current session generation). Raises
    InvalidContributorKey, the same way, for a malformed key, a nonce nobody has and a MAC
    that does not match."""
    raw = parse_key(text)
    nonce, mac = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    row = conn.execute(_BY_NONCE, {"nonce": nonce}).fetchone()
    expected = _mac(secret, row["id"], nonce) if row else secrets.token_bytes(MAC_BYTES)
    if not hmac.compare_digest(mac, expected) or row is None:
        raise _invalid()
    return KeyOwner(row["id"], int(row["session_generation"]))


_LEFT_BEHIND = """
SELECT (SELECT count(*) FROM contributions WHERE contributor_id = %(id)s) AS contributions,
       (SELECT count(*) FROM validations WHERE validator_id = %(id)s) AS validations
"""


def work_left_behind(conn: Conn, contributor_id: uuid.UUID | None) -> dict[str, int] | None:
    """What the session being replaced has contributed and voted (it stays with that anonymous
    id, which this browser leaves), or None when it has nothing."""
    if contributor_id is None:
        return None
    row = conn.execute(_LEFT_BEHIND, {"id": contributor_id}).fetchone() or {}
    counts = {"contributions": int(row["contributions"]), "validations": int(row["validations"])}
    return counts if any(counts.values()) else None
