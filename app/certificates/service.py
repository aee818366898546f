"""Certificates: who may have one, the name printed on it, issuing and finding them.

As Bhasha Daan: a volunteer with at least 5 contributions (any task, as stored: accepted,
pending or rejected alike) or at least 25 validations (votes cast) may have a certificate.
A certificate is a row (migration 0016) keeping what the PDF says, so that anyone holding the
code can check it at /certificates/<code>; the PDF is drawn again from the row on each
download. Erasing the person deletes the rows (ON DELETE CASCADE): the code then verifies
nothing.

Codes are 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), in three
groups: 31^12, about 2^59, so guessing one is hopeless, and reading one aloud is easy.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.certificates.fonts import unprintable
from app.db import Conn
from app.errors import CrowdsourceError, NotFound
from app.i18n.text import Text
from app.inputs import InvalidField

CONTRIBUTIONS_NEEDED = 5
VALIDATIONS_NEEDED = 25
NAME_MAX = 60
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE = re.compile(r"[A-HJKMNP-Z2-9]{4}(?:-[A-HJKMNP-Z2-9]{4}){2}")
# Joiners are part of how Indic and Arabic names are spelt; every other format character
# (bidi overrides, invisible separators) could make the printed name say something else.
_JOINERS = {"\u200c", "\u200d"}


class NotEligible(CrowdsourceError):
    code = "not_eligible"
    http_status = 403


class CertificateNotFound(NotFound):
    code = "certificate_not_found"


class NameRequired(CrowdsourceError):
    """No name was sent and the profile has no display name to stand in."""

    code = "name_required"
    http_status = 422


class NameTooLong(CrowdsourceError):
    code = "too_long"
    http_status = 422


class UnprintableName(CrowdsourceError):
    """Characters that would not print, or would print as something else (bidi overrides)."""

    code = "unprintable_name"
    http_status = 422


@dataclass(frozen=True)
class Progress:
    """What a person has done that counts toward a certificate."""

    contributions: int
    validations: int
    languages: list[str]  # codes, by English name

    @property
    def eligible(self) -> bool:
        return (self.contributions >= CONTRIBUTIONS_NEEDED
                or self.validations >= VALIDATIONS_NEEDED)  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        """The progress as GET /api/v1/me/certificates shows it."""
        return {
            "eligible": self.eligible,
            "contributions": self.contributions,
            "validations": self.validations,
            "contributions_needed": CONTRIBUTIONS_NEEDED,
            "validations_needed": VALIDATIONS_NEEDED,
            "languages": self.languages,
        }


_PROGRESS = """
SELECT (SELECT count(*) FROM contributions WHERE contributor_id = %(who)s) AS contributions,
       (SELECT count(*) FROM validations WHERE validator_id = %(who)s) AS validations,
       ARRAY(SELECT l.code FROM languages l
              WHERE l.code IN (SELECT language_code FROM contributions
                                WHERE contributor_id = %(who)s
                               UNION
                               SELECT c.language_code FROM validations v
                                 JOIN contributions c ON c.id = v.contribution_id
                                WHERE v.validator_id = %(who)s)
              ORDER BY l.name) AS languages
"""


def progress(conn: Conn, contributor_id: uuid.UUID | None) -> Progress:
    """The person's contributions and votes as stored, and the languages of both."""
    if contributor_id is None:
        return Progress(0, 0, [])
    row = conn.execute(_PROGRESS, {"who": contributor_id}).fetchone()
    assert row is not None
    return Progress(int(row["contributions"]), int(row["validations"]), list(row["languages"]))


def check_name(value: Any, default: str | None) -> str:
    """The name to print: NFC, single spaces, 1-60 characters, nothing invisible or that no
    face we embed can draw. `default` (the display name) stands in when none is sent."""
    if value is None:
        value = default
    if value is None:
        raise NameRequired(Text("Please write the name to print on the certificate."), field="name")
    if not isinstance(value, str):
        # Translators: 'name' is the name of a field of the request; keep it as it is.
        raise InvalidField(Text("'name' must be text."), field="name")
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if not name:
        raise InvalidField(Text("Please write the name to print on the certificate."),
                           field="name")  # fmt: skip
    if len(name) > NAME_MAX:
        raise NameTooLong(
            Text("The name can be at most {limit} characters long.", limit=NAME_MAX), field="name"
        )
    if any(unicodedata.category(ch).startswith("C") and ch not in _JOINERS for ch in name):
        raise UnprintableName(
            Text("The name contains characters that cannot be printed."), field="name"
        )
    if not any(unicodedata.category(ch)[0] in "LN" for ch in name):
        raise UnprintableName(Text("The name needs at least one letter."), field="name")
    missing = unprintable(name)
    if missing:
        raise UnprintableName(
            Text("We cannot print these characters of the name: {characters}",
                 characters=" ".join(missing[:5])),
            field="name",
        )  # fmt: skip
    return name


def new_code() -> str:
    """A fresh random code, XXXX-XXXX-XXXX."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def normal_code(value: str) -> str | None:
    """A code as typed (any case, spaces around) in its stored form, or None when it cannot be
    one."""
    code = value.strip().upper()
    return code if _CODE.fullmatch(code) else None


_LOCK_PERSON = "SELECT display_name FROM contributors WHERE id = %(who)s FOR UPDATE"

_SAME = """
SELECT code FROM certificates
 WHERE contributor_id = %(who)s AND name = %(name)s AND languages = %(languages)s
   AND contributions = %(contributions)s AND validations = %(validations)s
 ORDER BY issued_at DESC LIMIT 1
"""

_INSERT = """
INSERT INTO certificates (code, contributor_id, name, languages, contributions, validations)
VALUES (%(code)s, %(who)s, %(name)s, %(languages)s, %(contributions)s, %(validations)s)
"""


def issue_certificate(conn: Conn, contributor_id: uuid.UUID, name: Any) -> tuple[str, bool]:
    """Issue a certificate to the person under `name` (None: their display name); returns
    its code and whether it is new. The same name and counts as an earlier certificate give
    that one back. Raises NotEligible (403) with what is still needed, InvalidField /
    MissingField (4xx) for the name. One transaction, the person's row locked."""
    with conn.transaction():
        person = conn.execute(_LOCK_PERSON, {"who": contributor_id}).fetchone()
        done = progress(conn, contributor_id) if person else Progress(0, 0, [])
        if not done.eligible:
            raise NotEligible(
                Text(
                    "A certificate needs {contributions_needed} contributions or "
                    "{validations_needed} validations. Still to do: {contributions} "
                    "contributions, or {validations} validations.",
                    contributions_needed=CONTRIBUTIONS_NEEDED,
                    validations_needed=VALIDATIONS_NEEDED,
                    contributions=CONTRIBUTIONS_NEEDED - done.contributions,
                    validations=VALIDATIONS_NEEDED - done.validations,
                )
            )
        assert person is not None
        values = {
            "who": contributor_id, "name": check_name(name, person["display_name"]),
            "languages": done.languages, "contributions": done.contributions,
            "validations": done.validations,
        }  # fmt: skip
        same = conn.execute(_SAME, values).fetchone()
        if same is not None:
            return str(same["code"]), False
        code = new_code()
        conn.execute(_INSERT, {**values, "code": code})
        return code, True


@dataclass(frozen=True)
class Certificate:
    """A certificate as issued, with its languages' names."""

    code: str
    contributor_id: uuid.UUID
    name: str
    languages: list[dict[str, str]]  # code, name, native_name, script, direction
    contributions: int
    validations: int
    issued_at: datetime

    def as_json(self) -> dict[str, Any]:
        """What anyone holding the code may see (never who the person is in our tables)."""
        return {
            "code": self.code,
            "name": self.name,
            "languages": self.languages,
            "contributions": self.contributions,
            "validations": self.validations,
            "issued_at": self.issued_at.isoformat(),
            "url": links(self.code)["url"],
        }


_FIND = """
SELECT c.code, c.contributor_id, c.name, c.contributions, c.validations, c.issued_at,
       coalesce((SELECT json_agg(json_build_object('code', l.code, 'name', l.name,
                                 'native_name', l.native_name, 'script', l.script,
                                 'direction', l.direction) ORDER BY n.i)
                   FROM unnest(c.languages) WITH ORDINALITY AS n(code, i)
                   JOIN languages l ON l.code = n.code), '[]') AS languages
  FROM certificates c
 WHERE c.code = %(code)s
"""


def find_certificate(conn: Conn, code: str) -> Certificate:
    """The certificate with this code (as typed: case and spaces do not matter); raises
    CertificateNotFound (404) when there is none, or none any longer."""
    normal = normal_code(code)
    row = conn.execute(_FIND, {"code": normal}).fetchone() if normal else None
    if row is None:
        raise CertificateNotFound(
            Text("There is no certificate with the code {code}.", code=code.strip()[:32])
        )
    return Certificate(**row)


def my_certificate(conn: Conn, contributor_id: uuid.UUID, code: str) -> Certificate:
    """The person's own certificate with this code; someone else's is as good as none (404)."""
    found = find_certificate(conn, code)
    if found.contributor_id != contributor_id:
        raise CertificateNotFound(
            Text("There is no certificate with the code {code}.", code=code.strip()[:32])
        )
    return found


_MINE = """
SELECT code, name, contributions, validations, issued_at FROM certificates
 WHERE contributor_id = %(who)s ORDER BY issued_at DESC, code LIMIT 20
"""


def my_certificates(conn: Conn, contributor_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """The person's latest certificates, newest first."""
    if contributor_id is None:
        return []
    rows = conn.execute(_MINE, {"who": contributor_id}).fetchall()
    return [{**row, "issued_at": row["issued_at"].isoformat(), **links(row["code"])}
            for row in rows]  # fmt: skip


def links(code: str) -> dict[str, str]:
    """Where a certificate is checked (public) and downloaded (its owner only)."""
    return {"url": f"/certificates/{code}", "pdf": f"/api/v1/me/certificates/{code}.pdf"}
