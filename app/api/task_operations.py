"""The OpenAPI operations of transcribe, translate and label (ADR 0010 §10): where each task
is open, items and their media, typed answers, skips, the queue, votes and corrections."""

from __future__ import annotations

from app.api.building import (
    AUDIO_TYPES,
    COUNT,
    DB,
    JSON_BODY,
    LANGUAGE,
    PRESIGNED,
    STORAGE,
    VOTE_REFUSALS,
    Obj,
    op,
    param,
    path_param,
    request_body,
    returns,
)
from app.api.schemas import BIGINT_MAX, NO_NUL_PATTERN, TYPED_TASK_NAMES

_IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
_TASK = path_param(
    "name",
    {"type": "string", "enum": list(TYPED_TASK_NAMES)},
    "The task. Speak has its own routes; another name answers 404 `unknown_task`.",
)
_FROM = {
    **param(
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
_TASK_ITEM = path_param(
    "item_id", {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}, "The item's id."
)
_MEDIA_TOKEN = param(
    "token",
    "query",
    {"type": "string", "pattern": "^[A-Za-z0-9_.=-]*$", "maxLength": 200},
    "The signature in `media_url`; 403 when missing, wrong or expired (15 minutes by default).",
    required=True,
)
_MEDIA = {
    "description": "The clip or image, streamed by the app.",
    "content": {
        t: {"schema": {"type": "string", "format": "binary"}} for t in (*AUDIO_TYPES, *_IMAGE_TYPES)
    },
    "headers": {"Cache-Control": {"schema": {"type": "string"}}},
}
_CONTRIBUTION = path_param(
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
    *VOTE_REFUSALS, "unknown_contribution", "own_contribution", "own_item", "no_corrections",
    "correction_unchanged", *_ITEM_STATE, *_TEXT_RULES, "already_contributed",
    "idempotency_conflict",
)  # fmt: skip


def task_operations() -> list[tuple[str, str, Obj]]:
    """Transcribe, translate and label (ADR 0010 §10): items, answers, the queue, votes."""
    return [
        op("GET /tasks", "tasks.list", "Where transcribe, translate and label are open",
            {200: returns("OpenTaskList", "Each open task per language (translate: per source "
                        "language) that has items, with how many are still under the cap.")},
            errors=DB),
        op("GET /tasks/{name}/languages/{code}/items", "tasks.items", "Items to work on",
            {200: returns("TaskItemBatch", "Fewest answers first; never one the visitor "
                        "answered or skipped, nor one at its cap or hidden by reports.")},
            params=(_TASK, LANGUAGE, COUNT, _FROM),
            errors=(*DB, "unknown_task", "unknown_language", "task_closed", "invalid_field",
                    "source_required"),
            description="Translate's items are sentences of the `from` language to write in "
            "`code`. A clip's or image's `media_url` is signed and expires. `409 task_closed`: "
            "the task is not open in this language (or the language pair)."),
        op("GET /items/{item_id}/media", "tasks.itemMedia",
            "An item's clip or image (follow an item's `media_url`)",
            {200: _MEDIA, 302: PRESIGNED},
            params=(_TASK_ITEM, _MEDIA_TOKEN),
            errors=(*DB, "link_expired", "unknown_item", "object_not_found", *STORAGE)),
        op("POST /tasks/{name}/contributions", "tasks.contribute", "Answer an item with text",
            {201: returns("TextSaved", "Checked, stored and counted."),
             200: returns("TextSaved", "This idempotency key was used before for this item: "
                        "the first answer again, nothing new stored.")},
            params=(_TASK,), body=request_body("TextAnswer"),
            errors=(*DB, *JSON_BODY, "unknown_task", *_ANSWER_REFUSALS),
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
        op("POST /tasks/{name}/items/{item_id}/skip", "tasks.skipItem", "Don't offer it again",
            {200: returns("Skipped", "Skipped (idempotent).")},
            params=(_TASK, _TASK_ITEM), errors=(*DB, "unknown_task", "unknown_item")),
        op("GET /tasks/{name}/languages/{code}/queue", "tasks.queue", "Answers to check",
            {200: returns("TaskQueue", "Closest to a decision first, then oldest; empty when "
                        "nothing is waiting.")},
            params=(_TASK, LANGUAGE, COUNT, _FROM),
            errors=(*DB, "unknown_task", "unknown_language", "task_closed", "invalid_field"),
            description="Never the visitor's own answers, nor answers on an item they answered "
            "themselves, nor ones they voted on or skipped. Each answer handed out is "
            "remembered: a vote counts only on an answer this session was handed (a clip to "
            "transcribe: once most of its length has passed since). A new validator's first "
            "answers are practice (`practice: true`), already decided."),
        op("POST /contributions/{public_id}/votes", "tasks.vote",
            "Accept, reject, or correct any task's contribution",
            {201: returns("TaskVoteCounted", "Recorded (with a change, the correction too)."),
             200: returns("TaskVoteCounted", "The same vote again: nothing changes (a change "
                        "again answers the correction stored the first time).")},
            params=(_CONTRIBUTION,), body=request_body("TaskVote"),
            errors=(*DB, *JSON_BODY, *_TASK_VOTE_REFUSALS),
            description="The rules of `POST /recordings/{public_id}/votes`, for every task "
            "(a recording's own refusals keep speak's codes: `own_recording`, "
            "`unknown_recording`). Typed tasks add `403 own_item` (the validator answered the "
            "same item) and `change`: a reject and, in the same transaction, the corrected "
            "text stored as a new answer linked to this one, which waits in the queue itself. "
            "The corrected text meets the answer's rules (`422` text codes, `409` item codes) "
            "and `422 correction_unchanged` (the same text); a refused correction stores no "
            "vote either. `422 no_corrections`: a recording is not corrected."),
        op("POST /contributions/{public_id}/skip", "tasks.skipContribution",
            "Don't offer it again",
            {200: returns("Skipped", "Skipped (idempotent).")},
            params=(_CONTRIBUTION,),
            errors=(*DB, "unknown_contribution", "unknown_recording")),
    ]  # fmt: skip
