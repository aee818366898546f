"""The OpenAPI 3.1 document of /api/v1 (kept true by tests/api/test_openapi.py).

Each operation lists every status its code can answer with. Error answers all share the
`Error` schema; the stable codes a response can carry are named in its description and, for
machines, in its `x-error-codes` list. Body schemas live in app/api/schemas.py.
"""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Any

from app.api.schemas import (
    BIGINT_MAX,
    LANGUAGE_CODE_PATTERN,
    NO_NUL_PATTERN,
    SCHEMAS,
    TYPED_TASK_NAMES,
    ref,
)

API = "/api/v1"
Obj = dict[str, Any]

# Every stable error code and the one status it is sent with.
ERROR_STATUS = {
    "invalid_session": 401, "not_json": 400, "invalid_json": 400, "missing_field": 400,
    "empty_upload": 400, "invalid_input": 400, "source_required": 400,
    "no_session": 401,
    "link_expired": 403, "own_recording": 403, "cross_site_request": 403,
    "own_contribution": 403, "own_item": 403,
    "unknown_language": 404, "unknown_item": 404, "unknown_recording": 404,
    "object_not_found": 404, "unknown_task": 404, "unknown_contribution": 404,
    "already_recorded": 409, "already_voted": 409, "idempotency_conflict": 409,
    "sentence_full": 409, "sentence_reported": 409, "language_closed": 409,
    "item_retired": 409, "recording_removed": 409,
    "task_closed": 409, "item_full": 409, "item_reported": 409, "already_contributed": 409,
    "too_large": 413,
    "rate_limited": 429,
    "not_audio": 415, "unsupported_media_type": 415,
    "invalid_field": 422, "invalid_value": 422, "personal_data": 422, "note_required": 422,
    "too_short": 422, "too_long": 422, "silent": 422, "clipped": 422, "no_speech": 422,
    "not_listened": 422,
    "empty_text": 422, "has_url": 422, "wrong_script": 422, "copy_of_source": 422,
    "far_from_reference": 422, "no_corrections": 422, "correction_unchanged": 422,
    "internal_error": 500,
    "database_unavailable": 503, "storage_unavailable": 503, "storage_error": 503,
}  # fmt: skip

# The codes a request valid against the document can still meet: they depend on the state of
# the data (an unknown id, a vote already cast, a clip not heard yet, a full sentence, a
# limit reached) or on content no schema can judge (the audio; a typed answer's script,
# length or distance from its reference; a display name that is contact details or holds an
# unassigned character), never on the request's shape. Every other 4xx code means the request
# broke the document. (tests/live/test_fuzz_api.py holds the server to it.) One is neither
# and still here: `source_required`, translate's `?from=`, required for one value of a path
# parameter, which the document cannot say of a parameter.
STATE_AND_CONTENT_CODES = frozenset({
    "invalid_session", "no_session", "link_expired", "own_recording",
    "unknown_language", "unknown_item", "unknown_recording", "object_not_found",
    "already_recorded", "already_voted", "idempotency_conflict", "sentence_full",
    "sentence_reported", "language_closed", "item_retired", "recording_removed",
    "rate_limited", "empty_upload", "too_large", "not_audio", "too_short", "too_long", "silent",
    "clipped", "no_speech", "not_listened", "personal_data", "invalid_value",
    "task_closed", "item_full", "item_reported", "already_contributed", "unknown_contribution",
    "own_contribution", "own_item", "no_corrections", "correction_unchanged",
    "far_from_reference", "empty_text", "has_url", "wrong_script", "copy_of_source",
    "source_required",
})  # fmt: skip
# Body sizes the server reads: JSON bodies everywhere, the multipart form of an upload (the
# audio at most MAX_UPLOAD_MB, 5 MB by default, plus 64 KiB for the rest of the form).
JSON_BODY_MAX_BYTES = 64 * 1024
UPLOAD_BODY_MAX_BYTES = 5 * 1024 * 1024 + 64 * 1024

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again (sent with rate_limited, "
        "database_unavailable, storage_unavailable and failed readiness checks).",
        "schema": {"type": "integer", "minimum": 0},
    }
}
_SET_COOKIE = {
    "Set-Cookie": {
        "description": "`cs_id`, the signed session cookie (HttpOnly, SameSite=Lax).",
        "schema": {"type": "string"},
    }
}
_AUDIO_TYPES = ("audio/webm", "audio/ogg", "audio/mp4", "audio/wav", "audio/mpeg")
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")


def _json(schema: str, description: str, *, headers: Obj | None = None) -> Obj:
    """A response whose body is the JSON schema `schema` (a name in components/schemas)."""
    response: Obj = {
        "description": description,
        "content": {"application/json": {"schema": ref(schema)}},
    }
    if headers:
        response["headers"] = headers
    return response


def _error(status: int, *codes: str) -> Obj:
    """An error response with the shared `Error` body and the codes it can carry."""
    listed = ", ".join(f"`{code}`" for code in codes)
    response = _json("Error", f"{HTTPStatus(status).phrase}. Codes: {listed}.")
    response["x-error-codes"] = list(codes)
    if status in (429, 503):
        response["headers"] = _RETRY_AFTER
    return response


def _errors(*codes: str) -> dict[int, Obj]:
    """Error responses for these codes, grouped by their status."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(ERROR_STATUS[code], []).append(code)
    return {status: _error(status, *grouped) for status, grouped in sorted(by_status.items())}


def _param(name: str, where: str, schema: Obj, description: str, *, required: bool) -> Obj:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema,
    }


def _path(name: str, schema: Obj, description: str) -> Obj:
    return _param(name, "path", schema, description, required=True)


def _query_int(name: str, *, default: int, minimum: int, maximum: int, description: str) -> Obj:
    schema = {"type": "integer", "minimum": minimum, "maximum": maximum, "default": default}
    param = _param(
        name, "query", schema, f"{description} Empty: the default. Out of range: 422.",
        required=False,
    )  # fmt: skip
    param["allowEmptyValue"] = True  # `?page=` is what an empty form field sends
    return param


_LANGUAGE = _path(
    "code",
    {"type": "string", "pattern": LANGUAGE_CODE_PATTERN},
    "The language code, e.g. `hi`; an unknown one answers 404.",
)
_RECORDING = _path("public_id", {"type": "string", "format": "uuid"}, "The recording's id.")
_COUNT = _query_int("count", default=5, minimum=1, maximum=20, description="How many to return.")


def _body(
    schema: str,
    media_type: str = "application/json",
    max_bytes: int = JSON_BODY_MAX_BYTES,
    **extra: Any,
) -> Obj:
    """A required request body; `x-max-bytes` is the size past which it answers 413."""
    return {
        "required": True,
        "description": f"At most {max_bytes:,} bytes (larger: 413 `too_large`).",
        "content": {media_type: {"schema": ref(schema), **extra}},
        "x-max-bytes": max_bytes,
    }


def _op(
    route: str,
    operation_id: str,
    summary: str,
    responses: dict[int, Obj],
    *,
    errors: tuple[str, ...] = (),
    params: tuple[Obj, ...] = (),
    body: Obj | None = None,
    session: bool = True,
    description: str | None = None,
) -> tuple[str, str, Obj]:
    """(path, method, operation) for `route` ("METHOD /path", under /api/v1 unless tagged
    health). `operation_id` is "<tag>.<name>". Every operation can also fail with
    `internal_error`. Every write needs a session (401 `no_session` without one) unless
    `session` is False (the operation that issues sessions)."""
    method, path = route.split(" ")
    tag = operation_id.split(".")[0]
    if method != "GET":  # every write: refused from another site's page, and rate-limited
        errors = (*errors, "cross_site_request", "rate_limited")
        if session:
            errors = (*errors, "no_session")
        if body is None or "multipart/form-data" not in body["content"]:
            errors = (*errors, "unsupported_media_type")  # forms only where files go
    merged = {**responses, **_errors(*errors, "internal_error")}
    operation: Obj = {"operationId": operation_id, "tags": [tag], "summary": summary}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = list(params)
    if body:
        operation["requestBody"] = body
    operation["responses"] = {str(status): merged[status] for status in sorted(merged)}
    if tag == "health":
        operation["security"] = []  # the probes ignore the cookie
    else:
        path = API + path
        if method != "GET" and session:
            operation["security"] = [{"cs_id": []}]  # a write needs the session
    return path, method.lower(), operation


# What every /api/v1 operation that reads the database can fail with (invalid_input: text the
# database cannot hold, such as a NUL character).
_DB = ("invalid_session", "database_unavailable", "invalid_input")
# A JSON body larger than the upload limit is refused before it is read, with 413 too_large.
_JSON_BODY = ("not_json", "invalid_json", "too_large")
_STORAGE = ("storage_unavailable", "storage_error")
_UPLOAD_REFUSALS = (
    "missing_field", "empty_upload", "invalid_field", "too_large", "not_audio",
    "too_short", "too_long", "silent", "clipped", "no_speech", "unknown_item", "already_recorded",
    "idempotency_conflict", "sentence_full", "sentence_reported", "language_closed",
)  # fmt: skip
_VOTE_REFUSALS = (
    "missing_field", "invalid_field", "own_recording", "unknown_recording", "already_voted",
    "not_listened", "language_closed", "item_retired", "recording_removed",
)  # fmt: skip
_PAGE = _query_int("page", default=1, minimum=1, maximum=10_000, description="From 1.")
_PER_PAGE = _query_int("per_page", default=20, minimum=1, maximum=100, description="Page size.")
_ITEM = _path(
    "item_id", {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}, "The sentence's id."
)
_TOKEN = _param(
    "token",
    "query",
    {"type": "string", "pattern": "^[A-Za-z0-9_.=-]*$", "maxLength": 200},
    "The signature in `audio_url`; 403 when missing, wrong or expired (15 minutes by default).",
    required=True,
)
_AUDIO = {
    "description": "The audio, streamed by the app.",
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in _AUDIO_TYPES},
    "headers": {"Cache-Control": {"schema": {"type": "string"}}},
}
_PRESIGNED = {
    "description": "A redirect to a short-lived presigned URL on S3/GCS.",
    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
}
# ---- transcribe, translate, label ----
_TASK = _path(
    "name",
    {"type": "string", "enum": list(TYPED_TASK_NAMES)},
    "The task. Speak has its own routes; another name answers 404 `unknown_task`.",
)
_FROM = {
    **_param(
        "from",
        "query",
        {"type": "string", "pattern": NO_NUL_PATTERN},
        "Translate: the language to translate from (a language code). Required to pick "
        "items (without it: 400 `source_required`; a language with no sentences to translate "
        "into this one: 404 `unknown_language`); in the queue, only translations from it "
        "(absent: from every language). Ignored by the other tasks.",
        required=False,
    ),
    "allowEmptyValue": True,  # `?from=` is the same as no `from`
}
_TASK_ITEM = _path(
    "item_id", {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}, "The item's id."
)
_MEDIA_TOKEN = _param(
    "token",
    "query",
    {"type": "string", "pattern": "^[A-Za-z0-9_.=-]*$", "maxLength": 200},
    "The signature in `media_url`; 403 when missing, wrong or expired (15 minutes by default).",
    required=True,
)
_MEDIA = {
    "description": "The clip or image, streamed by the app.",
    "content": {
        t: {"schema": {"type": "string", "format": "binary"}}
        for t in (*_AUDIO_TYPES, *_IMAGE_TYPES)
    },
    "headers": {"Cache-Control": {"schema": {"type": "string"}}},
}
_CONTRIBUTION = _path(
    "public_id", {"type": "string", "format": "uuid"}, "The contribution's id (any task's)."
)
# Why the write of a typed answer (or of a correction) refuses: the item's state, then the
# text rules (app/tasks/text.py), in the order they are tried.
_ITEM_STATE = ("unknown_item", "task_closed", "item_full", "item_reported", "unknown_language")
_TEXT_RULES = ("empty_text", "has_url", "wrong_script", "copy_of_source", "too_short", "too_long")
_ANSWER_REFUSALS = (
    "missing_field", "invalid_field", *_ITEM_STATE, *_TEXT_RULES, "far_from_reference",
    "already_contributed", "idempotency_conflict",
)  # fmt: skip
_TASK_VOTE_REFUSALS = (
    *_VOTE_REFUSALS, "unknown_contribution", "own_contribution", "own_item", "no_corrections",
    "correction_unchanged", *_ITEM_STATE, *_TEXT_RULES, "already_contributed",
    "idempotency_conflict",
)  # fmt: skip

_UPLOAD = _body(
    "RecordingUpload",
    "multipart/form-data",
    max_bytes=UPLOAD_BODY_MAX_BYTES,
    encoding={"audio": {"contentType": ", ".join((*_AUDIO_TYPES, "application/octet-stream"))}},
)


def _operations() -> list[tuple[str, str, Obj]]:
    return [
        _op("GET /healthz", "health.healthz", "Liveness: the process answers",
            {200: _json("Health", "The process is up.")}),
        _op("GET /readyz", "health.readyz",
            "Readiness: the database (with the schema this code needs) and storage answer",
            {200: _json("Readiness", "Both dependencies answer and the schema is current."),
             503: _json("Readiness", "A dependency is down; `checks` says which and why.",
                        headers=_RETRY_AFTER)}),
        _op("GET /openapi.json", "reference.openapi", "This document",
            {200: _json("OpenAPIDocument", "The OpenAPI 3.1 description of the API.")},
            errors=("invalid_session",)),
        _op("GET /languages", "reference.languages", "Active languages, by English name",
            {200: _json("LanguageList", "Each with its number of active sentences.")},
            errors=_DB),
        _op("GET /profile/options", "reference.profileOptions", "The profile form's choices",
            {200: _json("ProfileOptions", "null always means \"prefer not to say\".")},
            errors=_DB),
        _op("POST /session", "contributors.session", "A session for this browser",
            {201: _json("Session", "A new session: the cookie is set.", headers=_SET_COOKIE),
             200: _json("Session", "The request already carries a session: nothing new.")},
            session=False, errors=_DB,
            description="Every write needs a session. Pages issue one when they are viewed; a "
            "client without pages asks for one here. New sessions are limited per client "
            "address (generous: many people share a mobile carrier's address); past the "
            "limit, `429 rate_limited` with `Retry-After`."),
        _op("GET /me", "contributors.me", "The visitor's profile and totals",
            {200: _json("Me", "All nulls and zeros for a new visitor.")}, errors=_DB),
        _op("PUT /me/profile", "contributors.updateProfile", "Save some profile fields",
            {200: _json("ProfileSaved", "The whole profile after the change.")},
            body=_body("ProfileChanges"),
            errors=(*_DB, *_JSON_BODY, "invalid_value", "personal_data"),
            description="`personal_data`: an e-mail address or phone number in "
            "`display_name`; `invalid_value`: a mother tongue or region that is not among "
            "/profile/options, a display name with a character that cannot be shown (or, "
            "for a request outside this document, an unknown field or value)."),
        _op("GET /me/contributions", "contributors.contributions",
            "The visitor's contributions of every task and refused uploads, newest first",
            {200: _json("ContributionPage", "One page.")},
            params=(_PAGE, _PER_PAGE), errors=(*_DB, "invalid_field")),
        _op("GET /languages/{code}/sentences", "speak.sentences", "Sentences to read",
            {200: _json("SentenceBatch", "Fewest recordings first; never one the visitor "
                        "recorded or skipped.")},
            params=(_LANGUAGE, _COUNT), errors=(*_DB, "unknown_language", "invalid_field")),
        _op("POST /recordings", "speak.uploadRecording", "Upload a recording of a sentence",
            {201: _json("RecordingSaved", "Checked, stored and counted."),
             200: _json("RecordingSaved", "This idempotency key was used before for this "
                        "sentence: the first result again, nothing new stored.")},
            body=_UPLOAD, errors=(*_DB, *_UPLOAD_REFUSALS, *_STORAGE),
            description="Refused audio (415, 422 `too_short`, `too_long`, `silent`, `clipped`, "
            "`no_speech`) is listed in the visitor's contributions as `refused`. The rules of "
            "the sentence are checked as the recording is written: `409 sentence_full` (it has "
            "all the recordings it needs), `409 sentence_reported`, `409 language_closed`, "
            "`409 already_recorded` (one recording per person per sentence), `409 "
            "idempotency_conflict` (this key was used for another sentence)."),
        _op("POST /sentences/{item_id}/skip", "speak.skipSentence", "Don't offer it again",
            {200: _json("Skipped", "Skipped (idempotent).")},
            params=(_ITEM,), errors=(*_DB, "unknown_item")),
        _op("GET /languages/{code}/clips", "validate.clips", "Recordings to check",
            {200: _json("ClipBatch", "Closest to a decision first, then oldest; empty when "
                        "nothing is waiting.")},
            params=(_LANGUAGE, _COUNT), errors=(*_DB, "unknown_language", "invalid_field")),
        _op("GET /recordings/{public_id}/audio", "validate.audio",
            "A recording's audio (follow a clip's `audio_url`)", {200: _AUDIO, 302: _PRESIGNED},
            params=(_RECORDING, _TOKEN),
            errors=(*_DB, "link_expired", "unknown_recording", "object_not_found", *_STORAGE)),
        _op("POST /recordings/{public_id}/votes", "validate.vote", "Accept or reject",
            {201: _json("VoteCounted", "Recorded."),
             200: _json("VoteCounted", "The same vote again: nothing changes.")},
            params=(_RECORDING,), body=_body("Vote"),
            errors=(*_DB, *_JSON_BODY, *_VOTE_REFUSALS),
            description="Only for a clip this session was handed by "
            "`GET /languages/{code}/clips`, once most of its duration has passed since: "
            "sooner, `422 not_listened`. The answer does not say how the vote weighs. `409`: "
            "already voted the other way, or the language closed, the sentence retired or the "
            "recording removed since."),
        _op("POST /recordings/{public_id}/skip", "validate.skipRecording", "Don't offer it again",
            {200: _json("Skipped", "Skipped (idempotent).")},
            params=(_RECORDING,), errors=(*_DB, "unknown_recording")),
        _op("POST /reports", "reports.report",
            "Report an item (a sentence, clip, image) or a contribution as unfit",
            {201: _json("Reported", "Reported; an operator reviews what enough trusted "
                        "reporters flag."),
             200: _json("Reported", "The visitor had already reported it.")},
            body=_body("Report"),
            errors=(*_DB, *_JSON_BODY, "missing_field", "invalid_field", "note_required",
                    "unknown_item", "unknown_recording", "unknown_contribution")),
        *_task_operations(),
    ]  # fmt: skip


def _task_operations() -> list[tuple[str, str, Obj]]:
    """Transcribe, translate and label (ADR 0010 §10): items, answers, the queue, votes."""
    return [
        _op("GET /tasks", "tasks.list", "Where transcribe, translate and label are open",
            {200: _json("OpenTaskList", "Each open task per language (translate: per source "
                        "language) that has items, with how many are still under the cap.")},
            errors=_DB),
        _op("GET /tasks/{name}/languages/{code}/items", "tasks.items", "Items to work on",
            {200: _json("TaskItemBatch", "Fewest answers first; never one the visitor "
                        "answered or skipped, nor one at its cap or hidden by reports.")},
            params=(_TASK, _LANGUAGE, _COUNT, _FROM),
            errors=(*_DB, "unknown_task", "unknown_language", "task_closed", "invalid_field",
                    "source_required"),
            description="Translate's items are sentences of the `from` language to write in "
            "`code`. A clip's or image's `media_url` is signed and expires. `409 task_closed`: "
            "the task is not open in this language (or the language pair)."),
        _op("GET /items/{item_id}/media", "tasks.itemMedia",
            "An item's clip or image (follow an item's `media_url`)",
            {200: _MEDIA, 302: _PRESIGNED},
            params=(_TASK_ITEM, _MEDIA_TOKEN),
            errors=(*_DB, "link_expired", "unknown_item", "object_not_found", *_STORAGE)),
        _op("POST /tasks/{name}/contributions", "tasks.contribute", "Answer an item with text",
            {201: _json("TextSaved", "Checked, stored and counted."),
             200: _json("TextSaved", "This idempotency key was used before for this item: "
                        "the first answer again, nothing new stored.")},
            params=(_TASK,), body=_body("TextAnswer"),
            errors=(*_DB, *_JSON_BODY, "unknown_task", *_ANSWER_REFUSALS),
            description="The text is normalised, then checked: `422 empty_text` (no letter or "
            "digit), `has_url` (a web or e-mail address), `wrong_script` (not in the "
            "language's script), `copy_of_source` (translate: the sentence again), "
            "`too_short` / `too_long` (for the clip's length, the sentence's, the image's "
            "text; 2,000 characters at most). When the item has a reference text and the "
            "answer is far from it, `422 far_from_reference` until it is sent again with "
            "`confirmed: true`. The item's rules are checked as the answer is written: "
            "`409 item_full`, `item_reported`, `task_closed`, `already_contributed` (one answer "
            "per person per item), `idempotency_conflict` (this key was used for another "
            "answer)."),
        _op("POST /tasks/{name}/items/{item_id}/skip", "tasks.skipItem", "Don't offer it again",
            {200: _json("Skipped", "Skipped (idempotent).")},
            params=(_TASK, _TASK_ITEM), errors=(*_DB, "unknown_task", "unknown_item")),
        _op("GET /tasks/{name}/languages/{code}/queue", "tasks.queue", "Answers to check",
            {200: _json("TaskQueue", "Closest to a decision first, then oldest; empty when "
                        "nothing is waiting.")},
            params=(_TASK, _LANGUAGE, _COUNT, _FROM),
            errors=(*_DB, "unknown_task", "unknown_language", "task_closed", "invalid_field"),
            description="Never the visitor's own answers, nor answers on an item they answered "
            "themselves, nor ones they voted on or skipped. Each answer handed out is "
            "remembered: a vote counts only on an answer this session was handed (a clip to "
            "transcribe: once most of its length has passed since). A new validator's first "
            "answers are practice (`practice: true`), already decided."),
        _op("POST /contributions/{public_id}/votes", "tasks.vote",
            "Accept, reject, or correct any task's contribution",
            {201: _json("TaskVoteCounted", "Recorded (with a change, the correction too)."),
             200: _json("TaskVoteCounted", "The same vote again: nothing changes (a change "
                        "again answers the correction stored the first time).")},
            params=(_CONTRIBUTION,), body=_body("TaskVote"),
            errors=(*_DB, *_JSON_BODY, *_TASK_VOTE_REFUSALS),
            description="The rules of `POST /recordings/{public_id}/votes`, for every task "
            "(a recording's own refusals keep speak's codes: `own_recording`, "
            "`unknown_recording`). Typed tasks add `403 own_item` (the validator answered the "
            "same item) and `change`: a reject and, in the same transaction, the corrected "
            "text stored as a new answer linked to this one, which waits in the queue itself. "
            "The corrected text meets the answer's rules (`422` text codes, `409` item codes) "
            "and `422 correction_unchanged` (the same text); a refused correction stores no "
            "vote either. `422 no_corrections`: a recording is not corrected."),
        _op("POST /contributions/{public_id}/skip", "tasks.skipContribution",
            "Don't offer it again",
            {200: _json("Skipped", "Skipped (idempotent).")},
            params=(_CONTRIBUTION,),
            errors=(*_DB, "unknown_contribution", "unknown_recording")),
    ]  # fmt: skip


_TAGS = {
    "speak": "Reading sentences aloud: what to read, uploads, skips.",
    "validate": "Checking other people's recordings: the queue, audio, votes, skips.",
    "tasks": "Transcribe a clip, translate a sentence, label an image: where each is open, "
    "items and their media, typed answers, skips; the queue of answers to check, votes and "
    "corrections (on any task's contribution).",
    "contributors": "The visitor's profile, totals and contributions.",
    "reports": "Flagging items and contributions as unfit.",
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
`429 rate_limited` with `Retry-After`.

Nobody logs in, but every write needs a session: `cs_id`, a signed HttpOnly cookie holding an
anonymous contributor id, issued by a page view or by `POST /api/v1/session`. A write without
one answers `401 no_session` and changes nothing. A cookie whose signature fails is cleared
and the request refused with `401 invalid_session`.

Input limits are part of each schema (lengths, patterns, ranges, enums; bodies carry their
size limit as `x-max-bytes`). A request that breaks them is refused with 400 or 422; one that
keeps them is refused only for the state of the data or for content no schema can judge,
with the codes listed for its operation. Text is UTF-8 without NUL characters or unpaired
surrogates anywhere (body, form, query, path, headers): `400 invalid_input` otherwise.
"""


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
            "schemas": SCHEMAS,
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
