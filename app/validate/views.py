"""JSON API of the Validate journey: clips to check, their audio, votes, skips."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.wrappers import Response as WerkzeugResponse

from app import deps
from app.contributors.identity import current_contributor_id, require_session
from app.inputs import json_body, parse_uuid, query_int, required_choice
from app.metrics import vote_counted
from app.progress.zones import request_time_zone
from app.speak.service import get_language
from app.validate.links import audio_url, check_audio_token, stored_object_response
from app.validate.service import (
    VERDICTS,
    cast_vote,
    get_recording,
    pick_clips_to_validate,
    skip_clip,
)

bp = Blueprint("validate", __name__, url_prefix="/api/v1")


@bp.get("/languages/<code>/clips")
def clips(code: str) -> Response:
    count = query_int("count", default=5, minimum=1, maximum=20)
    contributor_id = current_contributor_id()
    with deps.database().connection() as conn:
        language = get_language(conn, code)
        picked = pick_clips_to_validate(
            conn,
            language["code"],
            contributor_id,
            count=count,
            report_limit=deps.settings().reports_to_hide,
            rules=deps.settings(),
        )
    for clip in picked:
        clip["audio_url"] = audio_url(clip["id"])
    session = contributor_id is not None
    return jsonify({"language": language["code"], "clips": picked, "session": session})


@bp.get("/recordings/<public_id>/audio")
def audio(public_id: str) -> WerkzeugResponse:
    """The recording's bytes: a redirect to a presigned URL where the backend makes one,
    otherwise streamed by the app."""
    recording_id = parse_uuid(public_id, "recording")
    ttl = deps.settings().audio_url_ttl_seconds
    check_audio_token(recording_id, request.args.get("token"), max_age=ttl)
    with deps.database().connection() as conn:
        recording = get_recording(conn, recording_id)
    return stored_object_response(recording["media_key"], ttl)


@bp.post("/recordings/<public_id>/votes")
def vote(public_id: str) -> tuple[Response, int]:
    """A vote. The answer says nothing of the recording's counts or status, so a hidden
    known-answer check cannot be told from any other clip; after a practice clip it gives the
    expected answer."""
    validator = require_session()
    recording_id = parse_uuid(public_id, "recording")
    verdict = required_choice(json_body().get("verdict"), "verdict", VERDICTS)
    with deps.database().connection() as conn:
        outcome = cast_vote(
            conn, validator, recording_id, verdict, rules=deps.settings(),
            time_zone=request_time_zone(),
        )  # fmt: skip
    if outcome.created:
        vote_counted(verdict, outcome.decision)
    body: dict = {
        "vote": {"recording": outcome.recording_id, "verdict": verdict},
        "achievements": list(outcome.achievements),
    }
    if outcome.practice:
        body["practice"] = {"expected": outcome.expected, "agreed": outcome.expected == verdict}
    return jsonify(body), 201 if outcome.created else 200


@bp.post("/recordings/<public_id>/skip")
def skip(public_id: str) -> Response:
    contributor = require_session()
    recording_id = parse_uuid(public_id, "recording")
    with deps.database().connection() as conn:
        skip_clip(conn, contributor, recording_id, deps.settings())
    return jsonify({"skipped": True})
