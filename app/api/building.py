"""How the OpenAPI document's operations are written (app/api/openapi.py): every error code
with its status, responses, parameters, bodies, and one operation from a route.

Each operation lists every status its code can answer with. Error answers all share the
`Error` schema; the stable codes a response can carry are named in its description and, for
machines, in its `x-error-codes` list.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from app.api.schemas import LANGUAGE_CODE_PATTERN, ref

API = "/api/v1"
Obj = dict[str, Any]

# Every stable error code and the one status it is sent with.
ERROR_STATUS = {
    "invalid_session": 401, "not_json": 400, "invalid_json": 400, "missing_field": 400,
    "empty_upload": 400, "invalid_input": 400, "source_required": 400,
    "no_session": 401, "session_revoked": 401,
    "link_expired": 403, "own_recording": 403, "cross_site_request": 403,
    "own_contribution": 403, "own_item": 403, "not_eligible": 403,
    "unknown_language": 404, "unknown_item": 404, "unknown_recording": 404,
    "object_not_found": 404, "unknown_task": 404, "unknown_contribution": 404,
    "certificate_not_found": 404,
    "already_recorded": 409, "already_voted": 409, "idempotency_conflict": 409,
    "sentence_full": 409, "sentence_reported": 409, "language_closed": 409,
    "item_retired": 409, "recording_removed": 409,
    "task_closed": 409, "item_full": 409, "item_reported": 409, "already_contributed": 409,
    "too_large": 413, "export_too_large": 413,
    "rate_limited": 429,
    "not_audio": 415, "unsupported_media_type": 415,
    "invalid_field": 422, "invalid_value": 422, "personal_data": 422, "note_required": 422,
    "too_short": 422, "too_long": 422, "silent": 422, "clipped": 422, "no_speech": 422,
    "not_listened": 422, "confirmation_required": 422,
    "empty_text": 422, "has_url": 422, "wrong_script": 422, "copy_of_source": 422,
    "far_from_reference": 422, "no_corrections": 422, "correction_unchanged": 422,
    "name_required": 422, "unprintable_name": 422,
    "invalid_contributor_key": 422,
    "internal_error": 500,
    "database_unavailable": 503, "storage_unavailable": 503, "storage_error": 503,
    "fonts_missing": 503,
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
    "source_required", "export_too_large", "session_revoked", "invalid_contributor_key",
    "not_eligible", "certificate_not_found", "name_required", "unprintable_name",
})  # fmt: skip
# Body sizes the server reads: JSON bodies everywhere, the multipart form of an upload (the
# audio at most MAX_UPLOAD_MB, 5 MB by default, plus 64 KiB for the rest of the form).
JSON_BODY_MAX_BYTES = 64 * 1024
UPLOAD_BODY_MAX_BYTES = 5 * 1024 * 1024 + 64 * 1024

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again (sent with rate_limited, "
        "database_unavailable, storage_unavailable and failed readiness checks).",
        "schema": {"type": "integer", "minimum": 0},
    }
}
AUDIO_TYPES = ("audio/webm", "audio/ogg", "audio/mp4", "audio/wav", "audio/mpeg")


def returns(schema: str, description: str, *, headers: Obj | None = None) -> Obj:
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
    response = returns("Error", f"{HTTPStatus(status).phrase}. Codes: {listed}.")
    response["x-error-codes"] = list(codes)
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def _errors(*codes: str) -> dict[int, Obj]:
    """Error responses for these codes, grouped by their status."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(ERROR_STATUS[code], []).append(code)
    return {status: _error(status, *grouped) for status, grouped in sorted(by_status.items())}


def param(name: str, where: str, schema: Obj, description: str, *, required: bool) -> Obj:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema,
    }


def path_param(name: str, schema: Obj, description: str) -> Obj:
    return param(name, "path", schema, description, required=True)


def query_int(name: str, *, default: int, minimum: int, maximum: int, description: str) -> Obj:
    schema = {"type": "integer", "minimum": minimum, "maximum": maximum, "default": default}
    made = param(
        name, "query", schema, f"{description} Empty: the default. Out of range: 422.",
        required=False,
    )  # fmt: skip
    made["allowEmptyValue"] = True  # `?page=` is what an empty form field sends
    return made


LANGUAGE = path_param(
    "code",
    {"type": "string", "pattern": LANGUAGE_CODE_PATTERN},
    "The language code, e.g. `hi`; an unknown one answers 404.",
)
COUNT = query_int("count", default=5, minimum=1, maximum=20, description="How many to return.")


def request_body(
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


def op(
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
DB = ("invalid_session", "session_revoked", "database_unavailable", "invalid_input")
# A JSON body larger than the upload limit is refused before it is read, with 413 too_large.
JSON_BODY = ("not_json", "invalid_json", "too_large")
STORAGE = ("storage_unavailable", "storage_error")
VOTE_REFUSALS = (
    "missing_field", "invalid_field", "own_recording", "unknown_recording", "already_voted",
    "not_listened", "language_closed", "item_retired", "recording_removed",
)  # fmt: skip
PRESIGNED = {
    "description": "A redirect to a short-lived presigned URL on S3/GCS.",
    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
}
