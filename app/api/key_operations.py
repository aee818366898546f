"""The OpenAPI operations and schemas of the contributor key (app/contributors/keys.py): reveal
it as text or a QR code, replace it, enter it on another device."""

from __future__ import annotations

from app.api.building import DB, JSON_BODY, Obj, op, request_body, returns
from app.api.schemas import (
    IGNORED_FIELDS,
    NO_NUL_PATTERN,
    SCHEMAS,
    Schema,
    count,
    nullable,
    obj,
    ref,
    text,
)
from app.contributors.keys import MAX_INPUT_CHARS

_NO_STORE = {
    "Cache-Control": {
        "description": "`no-store`: the key is a credential; no cache may keep it.",
        "schema": {"type": "string", "const": "no-store"},
    }
}
_SET_COOKIE = {
    "Set-Cookie": {
        "description": "`cs_id`, the signed session cookie of this contributor's current "
        "generation (HttpOnly, SameSite=Lax).",
        "schema": {"type": "string"},
    }
}
_KEY = text(
    pattern="^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}-[0-9A-HJKMNP-TV-Z]{2}$",
    description="26 characters of Crockford's base32 in groups of four.",
    examples=["7K3M-Q9ZD-X2AB-HW4R-0NPT-8EFG-C0"],
)

KEY_SCHEMAS: dict[str, Schema] = {
    "ContributorKey": obj(
        key=_KEY,
        url=text(
            format="uri",
            description="This site's /key page with the key in its fragment (never sent to a "
            "server): what the QR code holds.",
        ),
    ),
    "KeyEntry": {
        **obj(
            closed=False,
            key=text(
                maxLength=MAX_INPUT_CHARS,
                pattern=NO_NUL_PATTERN,
                description="A key as typed: case, spaces and dashes do not matter; O reads "
                "as 0, I and L as 1; a whole /key#... link is read for its fragment. Anything "
                "that is not a valid key answers 422 `invalid_contributor_key`.",
            ),
        ),
        **IGNORED_FIELDS,
        "description": "The key to continue with. Other fields are ignored.",
    },
    "KeyEntered": obj(
        switched={
            "type": "boolean",
            "description": "False when the browser was this contributor already.",
        },
        profile=ref("Profile"),
        totals=ref("Totals"),
        tasks=SCHEMAS["Me"]["properties"]["tasks"],
        left_behind=nullable(
            {
                **obj(contributions=count(), validations=count()),
                "description": "What the session this browser had before made: it stays with "
                "that anonymous contributor, which this browser no longer is. Null when it "
                "had made nothing (or was this contributor).",
            }
        ),
    ),
}

_SVG = {
    "description": "The QR code of the key's `url`, as SVG.",
    "content": {"image/svg+xml": {"schema": {"type": "string"}}},
    "headers": _NO_STORE,
}


def key_operations() -> list[tuple[str, str, Obj]]:
    """Reveal, show as a QR code, replace and enter the contributor key."""
    return [
        op("GET /me/key", "keys.show", "The visitor's contributor key",
            {200: returns("ContributorKey", "The key (made on the first reveal, then the "
                          "same every time until it is replaced).", headers=_NO_STORE)},
            errors=(*DB, "no_session"),
            description="Entered on another device (`POST /session/key`), it makes that "
            "device continue as this contributor. A session is needed (`401 no_session`)."),
        op("GET /me/key.svg", "keys.qrCode", "The contributor key's link as a QR code",
            {200: _SVG}, errors=(*DB, "no_session"),
            description="For a phone's camera: it opens the /key page with the key filled "
            "in. A session is needed (`401 no_session`)."),
        op("POST /me/key/rotate", "keys.rotate", "Replace the contributor key",
            {200: returns("ContributorKey", "The new key; this browser's cookie moves on with "
                          "it.", headers={**_NO_STORE, **_SET_COOKIE})},
            errors=DB,
            description="The old key stops working, and every other device's session is "
            "revoked: its next request answers `401 session_revoked` (within a few seconds "
            "on every server process). Limited per session and per address."),
        op("POST /session/key", "keys.enter", "Continue as the contributor of a key",
            {200: returns("KeyEntered", "This browser is now that contributor.",
                          headers={**_NO_STORE, **_SET_COOKIE})},
            body=request_body("KeyEntry"), session=False,
            errors=(*DB, *JSON_BODY, "invalid_contributor_key"),
            description="No session is needed (a revoked one is replaced, not refused). A "
            "malformed key, an unknown one and a wrong one all answer the same `422 "
            "invalid_contributor_key` and change nothing. Strictly limited per session and "
            "per address (`429 rate_limited`), against guessing. Contributions the browser's "
            "previous "
            "session made stay with it (`left_behind`)."),
    ]  # fmt: skip
