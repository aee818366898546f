"""The OpenAPI operations of "your data" (issue #20): the person's data as a zip, and its
erasure; with their schemas, added to components/schemas beside app/api/schemas.py's."""

from __future__ import annotations

from app.api.building import DB, JSON_BODY, STORAGE, Obj, op, request_body, returns
from app.api.schemas import Schema, count, enum, obj, object_of
from app.mydata.views import CONFIRMATION, REMOVED_COUNTS

_ZIP = {
    "description": "The zip, streamed as it is made: profile.json, contributions.csv/.json, "
    "votes.csv/.json, achievements.json, certificates.json, recordings/<id>.<ext> and "
    "README.txt (which also lists any recording that could not be read just then).",
    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
}
_CLEARED = {
    "Set-Cookie": {
        "description": "The session cookie, cleared: this browser starts afresh.",
        "schema": {"type": "string"},
    }
}

MYDATA_SCHEMAS: dict[str, Schema] = {
    "ErasureRequest": obj(
        confirm=enum(CONFIRMATION, description="Exactly this text: the person confirmed."),
    ),
    "Erased": obj(
        erased={"type": "boolean", "enum": [True], "description": "Always true."},
        already_erased={
            "type": "boolean",
            "description": "Erased by an earlier request: its counts again, nothing more removed.",
        },
        removed=object_of(
            {
                **{name: count() for name in REMOVED_COUNTS},
                "objects_failed": count(
                    description="Objects that could not be deleted yet: they are deleted "
                    "again by the next dashboard refresh."
                ),
            }
        ),
    ),
}


def mydata_operations() -> list[tuple[str, str, Obj]]:
    """The operations of app/mydata/views.py."""
    return [
        op("GET /me/export", "contributors.exportMyData", "Everything of mine, as a zip",
           {200: _ZIP},
           errors=(*DB, "no_session", "export_too_large", "rate_limited", *STORAGE),
           description="Made on request from the database and storage. Needs the session "
           "(401 `no_session`). Larger than MY_DATA_EXPORT_MAX_MB (2 GiB by default): 413 "
           "`export_too_large`, before anything is sent. A few per hour per session: past "
           "that, 429 `rate_limited`."),
        op("DELETE /me", "contributors.eraseMe", "Erase everything of mine",
           {200: returns("Erased", "Erased (or erased before); the cookie is cleared.",
                         headers=_CLEARED)},
           body=request_body("ErasureRequest"),
           errors=(*DB, *JSON_BODY, "confirmation_required", *STORAGE),
           description="Deletes the profile, the recordings and other contributions and "
           "their objects in storage; votes and reports on other people's work stay, under "
           "an id that leads to no one. Without `confirm` set to the exact text: 422 "
           "`confirmation_required`, nothing removed. A repeat answers the first erasure's "
           "counts. The erasure is kept as a tombstone in storage too, so a restore of an "
           "older backup is erased again."),
    ]  # fmt: skip
