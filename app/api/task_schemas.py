"""The JSON Schemas of transcribe, translate and label (app/api/task_operations.py), added to
components/schemas beside app/api/schemas.py's. Closed like every response."""

from __future__ import annotations

from app.api.schemas import (
    HANDED_TO_SESSION,
    IDEMPOTENCY_KEY_PATTERN,
    IGNORED_FIELDS,
    LANGUAGE_CODE,
    NO_NUL_PATTERN,
    PRACTICE,
    STATUSES,
    TYPED_TASK_NAMES,
    UUID,
    Schema,
    array,
    count,
    enum,
    item_id,
    nullable,
    obj,
    object_of,
    ref,
    text,
)
from app.contribute.items import MEDIA_TYPES
from app.validate.corrections import ANSWERS

# What a page needs to show an item's clip or image; all null for a sentence to translate.
_ITEM_MEDIA: dict[str, Schema] = {
    "media_url": nullable(
        text(
            format="uri-reference",
            description="The clip or image, behind a signed link "
            "(GET /items/{item_id}/media?token=...) that expires (15 minutes by default).",
        )
    ),
    "media_type": nullable(
        enum(
            *sorted(set(MEDIA_TYPES.values())),
            description="The MIME type of the clip or image (null: an unknown extension).",
        )
    ),
    "duration_ms": nullable(count(description="A clip's length.")),
    "width": nullable(count(description="An image's width in pixels.")),
    "height": nullable(count(description="An image's height in pixels.")),
}

TASK_SCHEMAS: dict[str, Schema] = {
    "OpenTask": obj(
        task=enum(*TYPED_TASK_NAMES),
        language=LANGUAGE_CODE,
        source_language=nullable(
            {**LANGUAGE_CODE, "description": "Translate: the language translated from."}
        ),
        items_open=count(description="Active items still under the task's cap."),
    ),
    "OpenTaskList": obj(tasks=array(ref("OpenTask"))),
    "TaskItem": object_of(
        {
            "id": item_id(),
            "text": nullable(
                text(
                    description="Translate: the sentence to translate. Null for a clip or an "
                    "image (a reference text an item may carry is never shown)."
                )
            ),
            **_ITEM_MEDIA,
        }
    ),
    "TaskItemBatch": obj(
        task=enum(*TYPED_TASK_NAMES),
        language=LANGUAGE_CODE,
        source_language=nullable(
            {**LANGUAGE_CODE, "description": "Translate: `from`; null for the other tasks."}
        ),
        items=array(ref("TaskItem")),
        exhausted={"type": "boolean", "description": "True when the list is empty."},
    ),
    "TextAnswer": {
        **obj(
            ("confirmed",),
            closed=False,
            item_id=item_id(description="The item's id, from /items."),
            idempotency_key=text(
                pattern=IDEMPOTENCY_KEY_PATTERN,
                description="Made by the client once per answer; sending it again returns the "
                "first result.",
            ),
            text=text(
                pattern=NO_NUL_PATTERN,
                description="The answer. Stored normalised (NFC, runs of white space one "
                "space, trimmed) and checked by the task's text rules (422 empty_text, has_url, "
                "wrong_script, copy_of_source, too_short, too_long); at most 2,000 characters.",
            ),
            confirmed={
                "type": "boolean",
                "default": False,
                "description": "True to keep a text far from the item's reference after a "
                "422 far_from_reference.",
            },
        ),
        **IGNORED_FIELDS,
        "description": "Other fields are ignored.",
    },
    "Reference": obj(
        metric=enum("cer", "chrf", description="cer: transcribe and label; chrf: translate."),
        score={
            "type": "number",
            "minimum": 0,
            "description": "Character error rate (0 is the same text) or chrF (0-100, 100 "
            "is the same text).",
        },
        past_threshold={
            "type": "boolean",
            "description": "Far from the reference (kept because the volunteer confirmed); "
            "validators see a mark.",
        },
    ),
    "TextContribution": obj(
        id=UUID,
        item_id=item_id(),
        language=LANGUAGE_CODE,
        task=enum(*TYPED_TASK_NAMES),
        text=text(description="As stored (normalised)."),
        status=enum(*STATUSES, description="'pending' when new."),
        reference={
            "oneOf": [ref("Reference"), {"type": "null"}],
            "description": "The pre-check against the item's reference text; null when the "
            "item has none.",
        },
    ),
    "TextSaved": obj(contribution=ref("TextContribution"), achievements=ref("Achievements")),
    "QueuedItem": object_of(
        {
            "id": item_id(),
            "text": nullable(
                text(description="Translate: the source sentence; null for a clip or image.")
            ),
            "source_language": nullable(
                {**LANGUAGE_CODE, "description": "Translate: the source sentence's language."}
            ),
            **_ITEM_MEDIA,
        }
    ),
    "QueuedContribution": obj(
        ("practice",),
        id=UUID,
        text=text(description="The answer to check."),
        flagged={
            "type": "boolean",
            "description": "Far from the item's reference text (the volunteer confirmed it).",
        },
        item=ref("QueuedItem"),
        practice={
            "const": True,
            "description": "Only during a new validator's warm-up: an answer already decided.",
        },
    ),
    "TaskQueue": obj(
        task=enum(*TYPED_TASK_NAMES),
        language=LANGUAGE_CODE,
        contributions=array(ref("QueuedContribution")),
        session=HANDED_TO_SESSION,
    ),
    "TaskVote": {
        **obj(
            ("text", "idempotency_key"),
            closed=False,
            verdict=enum(
                *ANSWERS,
                description="'change' (\"needs a change\", transcribe, translate, label only) "
                "stores a reject and the corrected `text` as a new answer.",
            ),
            text=nullable(
                text(
                    pattern=NO_NUL_PATTERN,
                    description="The corrected text: required with 'change', null or absent "
                    "otherwise. Checked by the same rules as an answer.",
                )
            ),
            idempotency_key={
                **ref("JsonWithoutNul"),
                "description": "Read with 'change' only (the correction's key; by default one "
                "made from the contribution and the validator); ignored otherwise.",
            },
        ),
        **IGNORED_FIELDS,
        "description": "Other fields are ignored.",
        "if": {"properties": {"verdict": {"const": "change"}}, "required": ["verdict"]},
        "then": {
            "properties": {
                "text": text(pattern=NO_NUL_PATTERN),
                "idempotency_key": nullable(text(pattern=IDEMPOTENCY_KEY_PATTERN)),
            },
            "required": ["text"],
        },
        "else": {"properties": {"text": {"type": "null"}}},
    },
    "TaskVoteCounted": obj(
        ("practice",),
        vote=obj(contribution=UUID, verdict=enum(*ANSWERS)),
        correction={
            "oneOf": [obj(id=UUID, text=text()), {"type": "null"}],
            "description": "The correction stored with a 'change' (the same one when the "
            "change is sent again); null otherwise.",
        },
        practice=PRACTICE,
        achievements=ref("Achievements"),
    ),
}
