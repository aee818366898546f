"""JSON API of the typed tasks (transcribe, translate, label): items to work on, their media,
answers, skips; the queue of answers to check, votes and corrections (ADR 0010 §10).

Speak keeps its own routes (/api/v1/languages/<code>/sentences, /api/v1/recordings, ...);
the votes and skips under /api/v1/contributions/<id>/ take a contribution of any task.
Every message a client reads is a `Text`, answered in the request's language.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.wrappers import Response as WerkzeugResponse

from app import deps
from app.contribute.items import MEDIA_TYPES, pick_items, read_item, skip_item
from app.contribute.save import (
    NO_ITEM_TO_SKIP,
    NewText,
    UnknownItem,
    check_answer,
    check_item_open,
    find_text_by_key,
    refuse_far,
    save_text,
)
from app.contribute.tasks_open import get_task_language, open_tasks
from app.contributors.identity import current_contributor_id, require_session
from app.i18n.text import Text
from app.inputs import (
    InvalidInput,
    idempotency_key,
    json_body,
    parse_uuid,
    query_int,
    required_choice,
    required_int,
)
from app.metrics import vote_counted
from app.progress.zones import request_time_zone
from app.speak.views import _browser, _device
from app.tasks import TYPED_TASKS, Task, UnknownTask, task_for_contribution, task_message
from app.validate.corrections import ANSWERS, vote_or_correct
from app.validate.links import check_item_token, item_media_url, stored_object_response
from app.validate.service import UnknownContribution, pick_to_validate, skip_clip

bp = Blueprint("contribute", __name__, url_prefix="/api/v1")

_ITEM_MEDIA = """
SELECT id, media_key, media_duration_ms, media_measures FROM dataset_rows WHERE id = ANY(%s)
"""
_CONTRIBUTION_KIND = "SELECT kind FROM contributions WHERE public_id = %s"


def _typed(name: str) -> Task:
    for candidate in TYPED_TASKS:
        if candidate.name == name:
            return candidate
    if name == "speak":
        raise UnknownTask(
            # Translators: {code} stands for a language code in the address; keep it as it is.
            Text(
                "Speak has its own routes: /api/v1/languages/{code}/sentences and"
                " /api/v1/recordings."
            )
        )
    # Translators: {name} is the task name given, quoted.
    raise UnknownTask(Text("There is no task called {name}.", name=repr(name[:20])))


def _source(task: Task) -> str | None:
    """Translate's source language from `?from=` (required to pick, optional in the queue)."""
    value = request.args.get("from")
    return value if task.by_source and value else None


def _media(item: dict[str, Any]) -> dict[str, Any]:
    """What a page needs to show an item's clip or image (a signed, short-lived link)."""
    key = item.get("media_key")
    measures = item.get("media_measures") or {}
    return {
        "media_url": item_media_url(item["id"]) if key else None,
        "media_type": MEDIA_TYPES.get(key.rsplit(".", 1)[-1].lower()) if key else None,
        "duration_ms": item.get("media_duration_ms"),
        "width": measures.get("width"),
        "height": measures.get("height"),
    }


@bp.get("/tasks")
def tasks() -> Response:
    """What is open to work on: each typed task per language (translate: per pair), with how
    many items are open in it."""
    with deps.database().connection() as conn:
        return jsonify({"tasks": open_tasks(conn)})


@bp.get("/tasks/<name>/languages/<code>/items")
def items(name: str, code: str) -> Response:
    task = _typed(name)
    count = query_int("count", default=5, minimum=1, maximum=20)
    source = _source(task)
    with deps.database().connection() as conn:
        language = get_task_language(conn, task, code, source=source, picking=True)
        picked = pick_items(
            conn, task, language["code"], current_contributor_id(), cap=language["cap"],
            count=count, report_limit=deps.settings().reports_to_hide, source=source,
        )  # fmt: skip
        media = {
            row["id"]: row
            for row in conn.execute(_ITEM_MEDIA, ([p["id"] for p in picked],)).fetchall()
        }
    shown = [
        {"id": p["id"], "text": p["text"] if task.by_source else None, **_media(media[p["id"]])}
        for p in picked
    ]
    return jsonify(
        {"task": task.name, "language": language["code"], "source_language": source,
         "items": shown, "exhausted": not shown}
    )  # fmt: skip


@bp.get("/items/<int:item_id>/media")
def item_media(item_id: int) -> WerkzeugResponse:
    """An item's clip or image: a redirect to a presigned URL where the backend makes one,
    otherwise streamed by the app. The link is signed (a clip may be a person's voice)."""
    ttl = deps.settings().audio_url_ttl_seconds
    check_item_token(item_id, request.args.get("token"), max_age=ttl)
    with deps.database().connection() as conn:
        row = conn.execute(
            "SELECT media_key FROM dataset_rows WHERE id = %s AND media_key IS NOT NULL",
            (item_id,),
        ).fetchone()
    if row is None:
        raise UnknownItem(Text("There is no clip or image with id {id}.", id=item_id))
    return stored_object_response(row["media_key"], ttl)


@bp.post("/tasks/<name>/contributions")
def contribute(name: str) -> tuple[Response, int]:
    """A typed answer: checked by the task's text rules, scored against the item's reference
    (far from it: refused until confirmed), counted at the write, stored. The same idempotency
    key returns the first answer."""
    task = _typed(name)
    contributor = require_session()
    body = json_body()
    item_id = _item_id(body.get("item_id"))
    key = idempotency_key(body.get("idempotency_key"))
    raw = body.get("text")
    if not isinstance(raw, str):
        raise InvalidInput(Text("text must be a string."), field="text")
    confirmed = body.get("confirmed", False)
    if not isinstance(confirmed, bool):
        raise InvalidInput(Text("confirmed must be true or false."), field="confirmed")
    settings = deps.settings()
    with deps.database().connection() as conn:
        existing = find_text_by_key(conn, task, contributor, key, item_id)
        if existing is not None:
            return _answer(task, existing), 200
        row = read_item(conn, task, item_id)
        item = check_item_open(task, row, item_id, report_limit=settings.reports_to_hide)
        language = get_task_language(conn, task, item["language_code"])
        checked = check_answer(task, item, language, raw, settings)
        if checked.score is not None and checked.score.past_threshold and not confirmed:
            raise refuse_far(task, checked.score)
        stored, created = save_text(
            conn,
            task,
            NewText(
                contributor_id=contributor,
                item=item,
                idempotency_key=key,
                checked=checked,
                device=_device(),
                browser=_browser(),
                report_limit=settings.reports_to_hide,
                time_zone=request_time_zone(),
            ),
        )
    return _answer(task, stored), 201 if created else 200


def _item_id(value: Any) -> int:
    return required_int(value, "item_id")


def _answer(task: Task, row: dict[str, Any]) -> Response:
    reference = None
    if row.get("reference_metric"):
        reference = {
            "metric": row["reference_metric"],
            "score": row["reference_score"],
            "past_threshold": row["past_threshold"],
        }
    return jsonify(
        {
            "contribution": {
                "id": row["id"], "item_id": row["item_id"], "language": row["language"],
                "task": task.name, "text": row["text"], "status": row["status"],
                "reference": reference,
            },
            "achievements": row.get("achievements", []),
        }
    )  # fmt: skip


@bp.post("/tasks/<name>/items/<int:item_id>/skip")
def skip(name: str, item_id: int) -> Response:
    task = _typed(name)
    contributor = require_session()
    with deps.database().connection() as conn:
        if not skip_item(conn, task, contributor, item_id):
            raise UnknownItem(task_message(NO_ITEM_TO_SKIP, task, id=item_id))
    return jsonify({"skipped": True})


@bp.get("/tasks/<name>/languages/<code>/queue")
def queue(name: str, code: str) -> Response:
    """Answers to check: never your own, nor on an item you answered, nor twice."""
    task = _typed(name)
    count = query_int("count", default=5, minimum=1, maximum=20)
    source = _source(task)
    settings = deps.settings()
    contributor_id = current_contributor_id()
    with deps.database().connection() as conn:
        language = get_task_language(conn, task, code, source=source)
        picked = pick_to_validate(
            conn, task, language["code"], contributor_id, count=count,
            report_limit=settings.reports_to_hide, rules=settings, source=source,
        )  # fmt: skip
    shown = []
    for row in picked:
        item = {
            "id": row["item_id"], "media_key": row["item_media_key"],
            "media_duration_ms": row["item_duration_ms"], "media_measures": row["item_measures"],
        }  # fmt: skip
        entry = {
            "id": row["id"],
            "text": row["text"],
            "flagged": bool(row["flagged"]),
            "item": {
                "id": row["item_id"],
                "text": row["item_text"],
                "source_language": row["item_source_language"],
                **_media(item),
            },
        }
        if row.get("practice"):
            entry["practice"] = True
        shown.append(entry)
    answer = {"task": task.name, "language": language["code"], "contributions": shown}
    return jsonify({**answer, "session": contributor_id is not None})


def _task_of(conn: Any, public_id: Any) -> Task:
    row = conn.execute(_CONTRIBUTION_KIND, (public_id,)).fetchone()
    if row is None:
        raise UnknownContribution(
            Text("There is no contribution with id '{id}'.", id=str(public_id))
        )
    return task_for_contribution(row["kind"])


@bp.post("/contributions/<public_id>/votes")
def vote(public_id: str) -> tuple[Response, int]:
    """A vote on an answer of any task; `change` (typed tasks) comes with the corrected text,
    stored as a new answer linked to this one, in the same transaction as the vote."""
    validator = require_session()
    contribution_id = parse_uuid(public_id, "contribution")
    body = json_body()
    verdict = required_choice(body.get("verdict"), "verdict", ANSWERS)
    text = body.get("text")
    key = body.get("idempotency_key")
    settings = deps.settings()
    with deps.database().connection() as conn:
        task = _task_of(conn, contribution_id)
        result = vote_or_correct(
            conn, task, validator, contribution_id, verdict, text=text,
            idempotency_key=key, rules=settings, device=_device(), browser=_browser(),
            time_zone=request_time_zone(),
        )  # fmt: skip
    outcome = result.outcome
    correction = result.correction or {}
    if outcome.created:
        vote_counted("reject" if verdict == "change" else verdict, outcome.decision)
    out: dict[str, Any] = {
        "vote": {"contribution": outcome.recording_id, "verdict": verdict},
        "correction": (
            {"id": result.correction["id"], "text": result.correction["text"]}
            if result.correction
            else None
        ),
        "achievements": [*correction.get("achievements", []), *outcome.achievements],
    }
    if outcome.practice:
        expected = outcome.expected
        out["practice"] = {
            "expected": expected,
            "agreed": expected == ("reject" if verdict == "change" else verdict),
        }
    return jsonify(out), 201 if outcome.created else 200


@bp.post("/contributions/<public_id>/skip")
def skip_contribution(public_id: str) -> Response:
    contributor = require_session()
    contribution_id = parse_uuid(public_id, "contribution")
    with deps.database().connection() as conn:
        task = _task_of(conn, contribution_id)
        skip_clip(conn, contributor, contribution_id, deps.settings(), task)
    return jsonify({"skipped": True})
