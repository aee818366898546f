"""The OpenAPI 3.1 document of /api/v1 (kept true by tests/api/test_openapi.py).

Each operation lists every status its code can answer with (app/api/building.py says how an
operation is written). Body schemas live in app/api/schemas.py and
app/api/task_schemas.py; the operations of transcribe, translate and label in
app/api/task_operations.py.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from app.api.boards_operations import BOARDS_SCHEMAS, boards_operations
from app.api.building import (
    AUDIO_TYPES,
    COUNT,
    DB,
    ERROR_STATUS,
    JSON_BODY,
    LANGUAGE,
    PRESIGNED,
    RETRY_AFTER,
    STATE_AND_CONTENT_CODES,
    STORAGE,
    UPLOAD_BODY_MAX_BYTES,
    VOTE_REFUSALS,
    Obj,
    op,
    param,
    path_param,
    query_int,
    request_body,
    returns,
)
from app.api.certificate_operations import CERTIFICATE_SCHEMAS, certificate_operations
from app.api.key_operations import KEY_SCHEMAS, key_operations
from app.api.mydata_operations import MYDATA_SCHEMAS, mydata_operations
from app.api.progress_operations import PROGRESS_SCHEMAS, progress_operations
from app.api.schemas import BIGINT_MAX, SCHEMAS
from app.api.task_operations import task_operations
from app.api.task_schemas import TASK_SCHEMAS

__all__ = ["ERROR_STATUS", "STATE_AND_CONTENT_CODES", "openapi_document"]

_SET_COOKIE = {
    "Set-Cookie": {
        "description": "`cs_id`, the signed session cookie (HttpOnly, SameSite=Lax).",
        "schema": {"type": "string"},
    }
}
_RECORDING = path_param("public_id", {"type": "string", "format": "uuid"}, "The recording's id.")
_UPLOAD_REFUSALS = (
    "missing_field", "empty_upload", "invalid_field", "too_large", "not_audio",
    "too_short", "too_long", "silent", "clipped", "no_speech", "unknown_item", "already_recorded",
    "idempotency_conflict", "sentence_full", "sentence_reported", "language_closed",
)  # fmt: skip
_PAGE = query_int("page", default=1, minimum=1, maximum=10_000, description="From 1.")
_PER_PAGE = query_int("per_page", default=20, minimum=1, maximum=100, description="Page size.")
_ITEM = path_param(
    "item_id", {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}, "The sentence's id."
)
_TOKEN = param(
    "token",
    "query",
    {"type": "string", "pattern": "^[A-Za-z0-9_.=-]*$", "maxLength": 200},
    "The signature in `audio_url`; 403 when missing, wrong or expired (15 minutes by default).",
    required=True,
)
_AUDIO = {
    "description": "The audio, streamed by the app.",
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in AUDIO_TYPES},
    "headers": {"Cache-Control": {"schema": {"type": "string"}}},
}
_UPLOAD = request_body(
    "RecordingUpload",
    "multipart/form-data",
    max_bytes=UPLOAD_BODY_MAX_BYTES,
    encoding={"audio": {"contentType": ", ".join((*AUDIO_TYPES, "application/octet-stream"))}},
)


def _operations() -> list[tuple[str, str, Obj]]:
    return [
        op("GET /healthz", "health.healthz", "Liveness: the process answers",
            {200: returns("Health", "The process is up.")}),
        op("GET /readyz", "health.readyz",
            "Readiness: the database (with the schema this code needs) and storage answer",
            {200: returns("Readiness", "Both dependencies answer and the schema is current."),
             503: returns("Readiness", "A dependency is down; `checks` says which and why.",
                        headers=RETRY_AFTER)}),
        op("GET /openapi.json", "reference.openapi", "This document",
            {200: returns("OpenAPIDocument", "The OpenAPI 3.1 description of the API.")},
            errors=("invalid_session",)),
        op("GET /languages", "reference.languages", "Active languages, by English name",
            {200: returns("LanguageList", "Each with its number of active sentences.")},
            errors=DB),
        op("GET /profile/options", "reference.profileOptions", "The profile form's choices",
            {200: returns("ProfileOptions", "null always means \"prefer not to say\".")},
            errors=DB),
        op("POST /session", "contributors.session", "A session for this browser",
            {201: returns("Session", "A new session: the cookie is set.", headers=_SET_COOKIE),
             200: returns("Session", "The request already carries a session: nothing new.")},
            session=False, errors=DB,
            description="Every write needs a session. Pages issue one when they are viewed; a "
            "client without pages asks for one here. New sessions are limited per client "
            "address (generous: many people share a mobile carrier's address); past the "
            "limit, `429 rate_limited` with `Retry-After`."),
        op("GET /me", "contributors.me", "The visitor's profile and totals",
            {200: returns("Me", "All nulls and zeros for a new visitor.")}, errors=DB),
        op("PUT /me/profile", "contributors.updateProfile", "Save some profile fields",
            {200: returns("ProfileSaved", "The whole profile after the change.")},
            body=request_body("ProfileChanges"),
            errors=(*DB, *JSON_BODY, "invalid_value", "personal_data"),
            description="`personal_data`: an e-mail address or phone number in "
            "`display_name`; `invalid_value`: a mother tongue or region that is not among "
            "/profile/options, a display name with a character that cannot be shown, "
            "`leaderboard_opt_in: true` without a display name (or, for a request outside "
            "this document, an unknown field or value). Nothing of a refused request is "
            "saved."),
        op("GET /me/contributions", "contributors.contributions",
            "The visitor's contributions of every task and refused uploads, newest first",
            {200: returns("ContributionPage", "One page.")},
            params=(_PAGE, _PER_PAGE), errors=(*DB, "invalid_field")),
        op("GET /languages/{code}/sentences", "speak.sentences", "Sentences to read",
            {200: returns("SentenceBatch", "Fewest recordings first; never one the visitor "
                        "recorded or skipped.")},
            params=(LANGUAGE, COUNT), errors=(*DB, "unknown_language", "invalid_field")),
        op("POST /recordings", "speak.uploadRecording", "Upload a recording of a sentence",
            {201: returns("RecordingSaved", "Checked, stored and counted."),
             200: returns("RecordingSaved", "This idempotency key was used before for this "
                        "sentence: the first result again, nothing new stored.")},
            body=_UPLOAD, errors=(*DB, *_UPLOAD_REFUSALS, *STORAGE),
            description="Refused audio (415, 422 `too_short`, `too_long`, `silent`, `clipped`, "
            "`no_speech`) is listed in the visitor's contributions as `refused`. The rules of "
            "the sentence are checked as the recording is written: `409 sentence_full` (it has "
            "all the recordings it needs), `409 sentence_reported`, `409 language_closed`, "
            "`409 already_recorded` (one recording per person per sentence), `409 "
            "idempotency_conflict` (this key was used for another sentence)."),
        op("POST /sentences/{item_id}/skip", "speak.skipSentence", "Don't offer it again",
            {200: returns("Skipped", "Skipped (idempotent).")},
            params=(_ITEM,), errors=(*DB, "unknown_item")),
        op("GET /languages/{code}/clips", "validate.clips", "Recordings to check",
            {200: returns("ClipBatch", "Closest to a decision first, then oldest; empty when "
                        "nothing is waiting.")},
            params=(LANGUAGE, COUNT), errors=(*DB, "unknown_language", "invalid_field")),
        op("GET /recordings/{public_id}/audio", "validate.audio",
            "A recording's audio (follow a clip's `audio_url`)", {200: _AUDIO, 302: PRESIGNED},
            params=(_RECORDING, _TOKEN),
            errors=(*DB, "link_expired", "unknown_recording", "object_not_found", *STORAGE)),
        op("POST /recordings/{public_id}/votes", "validate.vote", "Accept or reject",
            {201: returns("VoteCounted", "Recorded."),
             200: returns("VoteCounted", "The same vote again: nothing changes.")},
            params=(_RECORDING,), body=request_body("Vote"),
            errors=(*DB, *JSON_BODY, *VOTE_REFUSALS),
            description="Only for a clip this session was handed by "
            "`GET /languages/{code}/clips`, once most of its duration has passed since: "
            "sooner, `422 not_listened`. The answer does not say how the vote weighs. `409`: "
            "already voted the other way, or the language closed, the sentence retired or the "
            "recording removed since."),
        op("POST /recordings/{public_id}/skip", "validate.skipRecording", "Don't offer it again",
            {200: returns("Skipped", "Skipped (idempotent).")},
            params=(_RECORDING,), errors=(*DB, "unknown_recording")),
        op("POST /reports", "reports.report",
            "Report an item (a sentence, clip, image) or a contribution as unfit",
            {201: returns("Reported", "Reported; an operator reviews what enough trusted "
                        "reporters flag."),
             200: returns("Reported", "The visitor had already reported it.")},
            body=request_body("Report"),
            errors=(*DB, *JSON_BODY, "missing_field", "invalid_field", "note_required",
                    "unknown_item", "unknown_recording", "unknown_contribution")),
        op("POST /feedback", "feedback.send", "Send feedback to the team",
            {201: returns("FeedbackSent", "Stored.")},
            body=request_body("Feedback"), session=False,
            errors=(*DB, *JSON_BODY, "missing_field", "invalid_field", "empty_text", "too_long",
                    "invalid_value"),
            description="No session is needed: a visitor without one may send feedback too "
            "(with one, the team sees that the sender had a session, never who). Each refusal "
            "names its `field`. Limited per client address (and per session when there is "
            "one): past it, `429 rate_limited` with `Retry-After`."),
        *task_operations(),
        *certificate_operations(),
        *progress_operations(),
        *boards_operations(),
        *mydata_operations(),
        *key_operations(),
    ]  # fmt: skip


_TAGS = {
    "speak": "Reading sentences aloud: what to read, uploads, skips.",
    "validate": "Checking other people's recordings: the queue, audio, votes, skips.",
    "tasks": "Transcribe a clip, translate a sentence, label an image: where each is open, "
    "items and their media, typed answers, skips; the queue of answers to check, votes and "
    "corrections (on any task's contribution).",
    "contributors": "The visitor's profile, totals and contributions.",
    "reports": "Flagging items and contributions as unfit.",
    "feedback": "The feedback form: what volunteers tell the team.",
    "certificates": "A certificate for a volunteer who has given enough, and its check.",
    "progress": "Badges, streaks, milestones and weekly goals.",
    "keys": "The contributor key: the same contributor on another device, without an account.",
    "reference": "Languages, profile choices and this document.",
    "health": "Probes for orchestrators.",
}

_DESCRIPTION = """\
The contributor loop of Crowdsource: volunteers read sentences aloud, transcribe clips,
translate sentences and type the text in images, and check each other's work (with a
correction, for typed work). JSON in and out (uploads are `multipart/form-data`).

Every error is `{"error": {"code", "message"}}`; the codes each response can carry are listed
with it (`x-error-codes`). A 503 tells the client to retry later. An unknown path answers
`404 not_found`, a method a path does not have `405 method_not_allowed`. A state-changing
request whose `Origin` names another site (or that the browser marks `Sec-Fetch-Site:
cross-site`) is refused with `403 cross_site_request`. Writes are limited per session and
per client address, counted across every worker and pod: past the limit they answer
`429 rate_limited` with `Retry-After`. Pages send the browser's IANA time zone in
`X-Time-Zone` with each request: the days of a person's streak and weekly goals are theirs.

Nobody logs in, but every write needs a session: `cs_id`, a signed HttpOnly cookie holding an
anonymous contributor id, issued by a page view or by `POST /api/v1/session`. A write without
one answers `401 no_session` and changes nothing. A cookie whose signature fails is cleared
and the request refused with `401 invalid_session`. A cookie from before the contributor's
key was replaced (`POST /me/key/rotate`, on any device) is cleared and refused with
`401 session_revoked`.

Input limits are part of each schema (lengths, patterns, ranges, enums; bodies carry their
size limit as `x-max-bytes`). A request that breaks them is refused with 400 or 422; one that
keeps them is refused only for the state of the data or for content no schema can judge,
with the codes listed for its operation. Text is UTF-8 without NUL characters or unpaired
surrogates anywhere (body, form, query, path, headers): `400 invalid_input` otherwise.
"""


_SCHEMAS = {
    **SCHEMAS, **TASK_SCHEMAS, **CERTIFICATE_SCHEMAS, **PROGRESS_SCHEMAS, **BOARDS_SCHEMAS,
    **MYDATA_SCHEMAS, **KEY_SCHEMAS,
}  # fmt: skip


@cache
def openapi_document() -> dict[str, Any]:
    """The whole document, built once per process."""
    paths: Obj = {}
    for path, method, operation in _operations():
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Crowdsource API", "version": "1", "description": _DESCRIPTION},
        "servers": [{"url": "/"}],
        "tags": [{"name": name, "description": text} for name, text in _TAGS.items()],
        "security": [{}, {"cs_id": []}],
        "paths": paths,
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "cs_id": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "cs_id",
                    "description": "The session: the anonymous contributor id, signed. Reads "
                    "work without it (as a new visitor); writes answer 401 `no_session`.",
                }
            },
        },
    }
