"""JSON API of the Speak journey: sentences to read, recording uploads, skips."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app import deps
from app.audio import AudioLimits, NotAudio, RecordingRefused, analyse_recording
from app.contributors.identity import current_contributor_id, require_session
from app.contributors.service import contributor_totals
from app.errors import BadRequest, CrowdsourceError
from app.errors_http import error_response
from app.i18n.text import Text
from app.inputs import MissingField, idempotency_key, query_int, required_int
from app.progress.zones import request_time_zone
from app.speak.service import (
    AlreadyRecorded,
    NewRecording,
    check_not_recorded,
    find_recording_by_key,
    get_language,
    get_sentence,
    pick_sentences_to_record,
    record_refusal,
    save_recording,
    skip_sentence,
)

bp = Blueprint("speak", __name__, url_prefix="/api/v1")


class TooLarge(CrowdsourceError):
    code = "too_large"
    http_status = 413


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(exc: RequestEntityTooLarge) -> Response:
    """Bodies over MAX_CONTENT_LENGTH are stopped while parsing; say it in a volunteer's words."""
    limit = deps.settings().max_upload_bytes
    return error_response(413, TooLarge.code, _too_large_message(limit))


@bp.get("/languages/<code>/sentences")
def sentences(code: str) -> Response:
    count = query_int("count", default=5, minimum=1, maximum=20)
    with deps.database().connection() as conn:
        language = get_language(conn, code)
        picked = pick_sentences_to_record(
            conn,
            language,
            current_contributor_id(),
            count=count,
            report_limit=deps.settings().reports_to_hide,
        )
    return jsonify({"language": language["code"], "sentences": picked, "exhausted": not picked})


@bp.post("/recordings")
def upload_recording() -> tuple[Response, int]:
    """Check the audio, store it, record the row; the same idempotency key returns the first
    result. Refusals say why in words a volunteer understands."""
    contributor_id = require_session()
    settings = deps.settings()
    item_id = required_int(request.form.get("item_id"), "item_id")
    key = idempotency_key(request.form.get("idempotency_key"))
    upload = request.files.get("audio")
    if upload is None:
        raise MissingField(
            Text("'audio' is required: attach the recording as a file."), field="audio"
        )
    data = upload.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(_too_large_message(settings.max_upload_bytes))
    if not data:
        raise BadRequest(Text("The recording is empty. Please record again."), code="empty_upload")

    database = deps.database()
    with database.connection() as conn:
        existing = find_recording_by_key(conn, contributor_id, key, item_id)
        if existing is None:
            sentence = get_sentence(conn, item_id, report_limit=settings.reports_to_hide)
            try:
                check_not_recorded(conn, contributor_id, item_id)
            except AlreadyRecorded:
                # A retry of this very upload may have been stored since the first look.
                existing = find_recording_by_key(conn, contributor_id, key, item_id)
                if existing is None:
                    raise
    if existing is not None:
        return _recording_response(existing, created=False)

    limits = AudioLimits(min_ms=settings.recording_min_ms, max_ms=settings.recording_max_ms)
    try:
        report = analyse_recording(data, limits)
    except (NotAudio, RecordingRefused) as refusal:
        with database.connection() as conn:
            record_refusal(
                conn, contributor_id, sentence, key,
                reason_code=refusal.code, message=refusal.message, size_bytes=len(data),
            )  # fmt: skip
        raise

    new = NewRecording(
        contributor_id=contributor_id,
        sentence=sentence,
        idempotency_key=key,
        data=data,
        report=report,
        device=_device(),
        browser=_browser(),
        report_limit=settings.reports_to_hide,
        time_zone=request_time_zone(),
    )
    with database.connection() as conn:
        recording, created = save_recording(conn, deps.storage(), new)
    return _recording_response(recording, created=created)


def _recording_response(recording: dict, *, created: bool) -> tuple[Response, int]:
    achievements = recording.pop("achievements", [])
    with deps.database().connection() as conn:
        totals = contributor_totals(conn, current_contributor_id())
    body = {"recording": recording, "totals": totals, "achievements": achievements}
    return jsonify(body), 201 if created else 200


@bp.post("/sentences/<int:item_id>/skip")
def skip(item_id: int) -> Response:
    contributor_id = require_session()
    with deps.database().connection() as conn:
        skip_sentence(conn, contributor_id, item_id)
    return jsonify({"skipped": True})


def _too_large_message(limit: int) -> Text:
    # Translators: {megabytes} is a whole number of megabytes (MB).
    return Text(
        "The recording is larger than the {megabytes} MB limit. "
        "Please record just the sentence shown.",
        megabytes=limit // (1024 * 1024),
    )


def _device() -> str:
    agent = request.user_agent.string
    return "mobile" if "Mobi" in agent or "Android" in agent else "desktop"


def _browser() -> str | None:
    agent = request.user_agent.string
    for marker, name in (
        ("Edg/", "edge"), ("OPR/", "opera"), ("SamsungBrowser/", "samsung"),
        ("Firefox/", "firefox"), ("Chrome/", "chrome"), ("Chromium/", "chromium"),
        ("Safari/", "safari"),
    ):  # fmt: skip
        if marker in agent:
            return name
    return None
