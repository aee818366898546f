"""The JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the API's bodies: components/schemas.

Response objects are closed (`additionalProperties: false`), so a field added to a response
without being documented here fails tests/api/test_openapi.py. Those of transcribe, translate
and label are in app/api/task_schemas.py, over the helpers here.

Request schemas state every limit the server enforces (lengths, patterns, ranges, enums), so
that a request valid against them is never refused as malformed: what can still refuse one is
state (an unknown id, a vote already cast, a clip not yet heard, a limit reached) or content
no schema can judge (the audio itself; a display name that is contact details), each listed
with its operation. No text field may hold a NUL character (PostgreSQL text cannot), and
strings are Unicode text: an unpaired surrogate escape ("\\ud800") answers 400 invalid_input.
"""

from __future__ import annotations

from typing import Any

from app.contributors.service import AGE_GROUPS, GENDERS
from app.feedback.service import ANSWERS, CATEGORIES, MESSAGE_MAX, PAGE_MAX
from app.reports.service import REASONS, TARGETS
from app.tasks import TASKS, TYPED_TASKS
from app.validate.service import VERDICTS

Schema = dict[str, Any]

STATUSES = ("pending", "accepted", "rejected")
IDEMPOTENCY_KEY_PATTERN = "^[A-Za-z0-9_-]{8,100}$"
BIGINT_MAX = 2**63 - 1  # ids are PostgreSQL bigints
# Free text: no NUL, the one character PostgreSQL text cannot hold.
NO_NUL_PATTERN = "^[^\\x00]*$"
# ...and with a character that is not white space (what "required" means for a note: the
# server collapses white space first, as Python's str.split() sees it: not quite a regex's
# \s, which leaves out the separators \x1c-\x1f and \x85 and takes in U+FEFF).
PY_WHITESPACE = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f"
    "\\u205f\\u3000"
)
NOT_BLANK_PATTERN = f"^[^\\x00]*[^{PY_WHITESPACE}\\x00][^\\x00]*$"
# A display name: no control character but those str.split() takes for white space.
NAME_PATTERN = "^[^\\x00-\\x08\\x0e-\\x1b\\x7f-\\x84\\x86-\\x9f]*$"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(optional: tuple[str, ...] = (), closed: bool = True, **properties: Schema) -> Schema:
    """An object with these properties, all required except `optional`."""
    return object_of(properties, optional, closed)


def object_of(
    properties: dict[str, Schema], optional: tuple[str, ...] = (), closed: bool = True
) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


# A queue's answer: whether the request had a session (else nothing counts as handed out).
HANDED_TO_SESSION: Schema = {
    "type": "boolean",
    "description": "True when the request carried a session, so what was handed out counts as "
    "handed to it. False: nothing was recorded as handed out (votes on it would be refused); "
    "make a session (`POST /session`) and ask again.",
}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def text(**extra: Any) -> Schema:
    return {"type": "string", **extra}


def count(**extra: Any) -> Schema:
    return {"type": "integer", "minimum": 0, **extra}


def nullable(schema: Schema) -> Schema:
    """`schema` or null ("prefer not to say" / not applicable)."""
    nullable_schema = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        nullable_schema["enum"] = [*schema["enum"], None]
    return nullable_schema


def enum(*values: str, **extra: Any) -> Schema:
    return {"type": "string", "enum": list(values), **extra}


def item_id(**extra: Any) -> Schema:
    """A sentence's id: a positive PostgreSQL bigint."""
    return count(minimum=1, maximum=BIGINT_MAX, **extra)


UUID = text(format="uuid")
TASK_NAMES = tuple(task.name for task in TASKS)
TYPED_TASK_NAMES = tuple(task.name for task in TYPED_TASKS)
LANGUAGE_CODE_PATTERN = "^[a-z]{2,3}$"
LANGUAGE_CODE = text(pattern=LANGUAGE_CODE_PATTERN, examples=["hi"])
REGION_CODE_PATTERN = "^[A-Z]{2}$"
MOTHER_TONGUE_PATTERN = "^([a-z]{2,3}|other)$"

# Profile fields, in responses and in PUT /me/profile.
_PROFILE = {
    "display_name": nullable(text(minLength=1, maxLength=30)),
    "age_group": nullable(enum(*AGE_GROUPS)),
    "gender": nullable(enum(*GENDERS)),
    "mother_tongue": nullable(
        text(
            pattern=MOTHER_TONGUE_PATTERN,
            description="A language code from /profile/options, or 'other'.",
        )
    ),
    "region_code": nullable(
        text(pattern=REGION_CODE_PATTERN, description="A region code from /profile/options.")
    ),
}
# What PUT /me/profile accepts is more lenient than what is stored: "" clears a field like
# null, and a display name has its white space collapsed before its length is checked.
_PROFILE_CHANGES = {
    name: {"anyOf": [schema, {"const": ""}]} for name, schema in _PROFILE.items()
} | {
    "display_name": nullable(
        text(
            maxLength=30,
            pattern=NAME_PATTERN,
            description="At most 30 characters (counted once runs of white space are "
            "collapsed to one space, so a longer name with runs of spaces may still fit). "
            "Letters, marks, digits, punctuation, symbols and spaces: a format, private-use "
            "or unassigned character answers 422 `invalid_value`, and an e-mail address or "
            "phone number 422 `personal_data` (the name is shown publicly).",
        )
    )
}

# Leaderboard opt-in (issue #20): true needs a display name (422 invalid_value otherwise).
_OPT_IN: Schema = {
    "type": "boolean",
    "description": "Whether the display name may be shown on the public leaderboards (false "
    "by default). true without a display name answers 422 `invalid_value` with `field` "
    "`leaderboard_opt_in`; clearing the display name turns it off.",
}

# The other fields a body may carry (and the server ignores): any JSON, but no NUL in a key or
# a string at any depth (the server refuses one anywhere in a body, read or not).
IGNORED_FIELDS: Schema = {
    "propertyNames": {"pattern": NO_NUL_PATTERN},
    "additionalProperties": ref("JsonWithoutNul"),
}

PRACTICE: Schema = {
    **obj(
        expected=enum(*VERDICTS, description="The settled answer of this clip."),
        agreed={"type": "boolean"},
    ),
    "description": "Only after a practice clip (a new validator's warm-up).",
}

SCHEMAS: dict[str, Schema] = {
    "JsonWithoutNul": {
        "description": "Any JSON value without a NUL character in a key or a string.",
        "anyOf": [
            {"type": ["null", "boolean", "number"]},
            {"type": "string", "pattern": NO_NUL_PATTERN},
            {"type": "array", "items": ref("JsonWithoutNul")},
            {"type": "object", **IGNORED_FIELDS},
        ],
    },
    "Error": obj(
        error=obj(
            optional=("field",),
            code=text(description="Stable, machine-readable; listed per response."),
            message=text(description="A sentence for the person, never a stack trace."),
            field=text(description="The input field at fault, when the error is about one."),
        )
    ),
    "Health": obj(status=enum("ok")),
    "Readiness": obj(
        status=enum("ready", "unavailable"),
        checks=obj(
            database=text(description="'ok', or why the database is not usable."),
            schema=text(
                description="'ok' once every migration this code needs is applied, or what "
                "is missing (run `crowdsource migrate up`)."
            ),
            storage=text(description="'ok', or why the object storage is not usable."),
        ),
    ),
    "OpenAPIDocument": obj(
        ("servers", "components", "tags", "security"),
        closed=False,
        openapi=text(pattern="^3\\.1\\."),
        info=obj(closed=False),
        paths=obj(closed=False),
    ),
    "Language": obj(
        code=LANGUAGE_CODE,
        name=text(),
        native_name=text(),
        script=text(pattern="^[A-Z][a-z]{3}$", description="ISO 15924"),
        direction=enum("ltr", "rtl"),
        sentence_count=count(),
        clip_count=count(description="Recordings waiting for checks."),
    ),
    "LanguageList": obj(languages=array(ref("Language"))),
    "Choice": obj(value=text(), label=text()),
    "Region": obj(
        code=text(pattern="^[A-Z]{2}$"), name=text(), kind=enum("state", "union_territory")
    ),
    "LanguageName": obj(code=LANGUAGE_CODE, name=text(), native_name=text()),
    "MotherTongue": obj(
        code=text(pattern="^([a-z]{2,3}|other)$", description="A language code, or 'other'."),
        name=text(),
        native_name=text(),
    ),
    "ProfileOptions": obj(
        age_groups=array(ref("Choice")),
        genders=array(ref("Choice")),
        regions=array(ref("Region")),
        languages=array(ref("MotherTongue")),
    ),
    "Profile": object_of(_PROFILE | {"leaderboard_opt_in": _OPT_IN}),
    "ProfileChanges": {
        **object_of(
            _PROFILE_CHANGES | {"leaderboard_opt_in": _OPT_IN},
            optional=(*_PROFILE_CHANGES, "leaderboard_opt_in"),
        ),
        "description": "Any of the profile fields; null or an empty string clears one (as a "
        'form\'s "prefer not to say" sends it). Other fields are refused (422 invalid_value).',
    },
    "ProfileSaved": obj(profile=ref("Profile")),
    "Totals": obj(
        recordings=count(),
        accepted=count(),
        rejected=count(),
        pending=count(),
        refused=count(description="Uploads the audio check refused."),
        validations=count(description="Votes cast on other people's recordings."),
        seconds_recorded={"type": "number", "minimum": 0},
    ),
    "Me": obj(
        profile=ref("Profile"),
        totals=ref("Totals"),
        tasks=object_of(
            {
                name: {
                    **obj(
                        answers=count(),
                        accepted=count(),
                        pending=count(),
                        corrections=count(description="Answers that corrected another's."),
                        validations=count(description="Votes cast on others' answers."),
                    ),
                    "description": f"The visitor's {name} answers and votes.",
                }
                for name in TYPED_TASK_NAMES
            }
        ),
        interface_locale={
            **nullable(text(minLength=2, maxLength=3)),
            "description": "The interface language chosen with the switcher (POST /language), "
            "or null.",
        },
    ),
    "Contribution": obj(
        id=text(description="The contribution's UUID, or 'refused-<n>' for a refused upload."),
        task=enum(*TASK_NAMES, description="Refused uploads are speak's."),
        language=LANGUAGE_CODE,
        sentence=nullable(text(description="The sentence read (speak); null for typed work.")),
        text=nullable(
            text(description="The text typed (transcribe, translate, label); null for speak.")
        ),
        status=enum(*STATUSES, "refused"),
        reason=nullable(text(description="Why the upload was refused (only for 'refused').")),
        duration_ms=nullable(count()),
        accept_count=count(),
        reject_count=count(),
        created_at=text(format="date-time"),
    ),
    "ContributionPage": obj(
        contributions=array(ref("Contribution")),
        page=count(minimum=1),
        per_page=count(minimum=1),
        total=count(),
    ),
    "Sentence": obj(id=count(minimum=1), text=text()),
    "SentenceBatch": obj(
        language=LANGUAGE_CODE,
        sentences=array(ref("Sentence")),
        exhausted={"type": "boolean", "description": "True when the list is empty."},
    ),
    "RecordingUpload": obj(
        audio=text(
            format="binary",
            contentMediaType="application/octet-stream",
            description="webm/opus, ogg/opus, mp4/aac, wav or mp3; at most MAX_UPLOAD_MB "
            "(5 MB by default).",
        ),
        item_id=item_id(description="The sentence's id."),
        idempotency_key=text(
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description="Made by the client once per take; sending it again returns the "
            "first result.",
        ),
    ),
    "Recording": obj(
        id=UUID,
        item_id=item_id(),
        language=LANGUAGE_CODE,
        duration_ms=count(minimum=1),
        status=enum(*STATUSES, description="'pending' when new."),
    ),
    "RecordingSaved": obj(
        recording=ref("Recording"), totals=ref("Totals"), achievements=ref("Achievements")
    ),
    "Skipped": obj(skipped={"const": True}),
    "Clip": obj(
        id=UUID,
        sentence=text(),
        audio_url=text(format="uri-reference", description="Expires (15 minutes by default)."),
        duration_ms=count(minimum=1),
    ),
    "ClipBatch": obj(language=LANGUAGE_CODE, clips=array(ref("Clip")), session=HANDED_TO_SESSION),
    "Vote": {
        **obj(closed=False, verdict=enum(*VERDICTS)),
        **IGNORED_FIELDS,
        "description": "Other fields are ignored.",
    },
    "VoteCounted": obj(
        ("practice",),
        vote=obj(recording=UUID, verdict=enum(*VERDICTS)),
        practice=PRACTICE,
        achievements=ref("Achievements"),
    ),
    "Session": obj(
        session=obj(new={"type": "boolean", "description": "True when this request made it."})
    ),
    "Report": {
        **obj(
            ("note",),
            closed=False,
            target=enum(
                *TARGETS,
                description="'sentence' and 'recording' are speak's names for 'item' and "
                "'contribution'.",
            ),
            id={
                "oneOf": [item_id(), UUID],
                "description": "An item id (integer) for 'sentence' (speak's name) or 'item' "
                "(a sentence, clip, image or sentence to translate); a contribution's UUID for "
                "'recording' (speak's name) or 'contribution' (any task's); another id "
                "answers 404.",
            },
            reason=enum(*REASONS, description="Any task's reasons (each page offers its own)."),
            note=nullable(
                text(
                    maxLength=500,
                    pattern=NO_NUL_PATTERN,
                    description="Required (not blank) when the reason is 'other'. At most 500 "
                    "characters once runs of white space are collapsed.",
                )
            ),
        ),
        **IGNORED_FIELDS,
        "description": "Other fields are ignored.",
        # The reason 'other' needs a note that is not blank (422 note_required otherwise).
        "if": {"properties": {"reason": {"const": "other"}}, "required": ["reason"]},
        "then": {
            "properties": {"note": text(pattern=NOT_BLANK_PATTERN)},
            "required": ["note"],
        },
    },
    "Reported": obj(reported={"const": True}),
    "Feedback": {
        **obj(
            ("rating", "would_recommend", "would_return", "page", "task", "language"),
            closed=False,
            rating=nullable(count(minimum=1, maximum=5, description="1 (poor) to 5 (great).")),
            category=enum(*CATEGORIES),
            message=text(
                minLength=1,
                maxLength=MESSAGE_MAX,
                pattern=NOT_BLANK_PATTERN,
                description=f"Not blank; at most {MESSAGE_MAX:,} characters once trimmed and "
                "NFC-normalised (a text that grows past it when composed answers 422 "
                "`too_long`).",
            ),
            would_recommend=nullable(enum(*ANSWERS)),
            would_return=nullable(enum(*ANSWERS)),
            page=nullable(
                text(
                    maxLength=PAGE_MAX,
                    pattern="^/[^\\x00]*$",
                    description="The path of the page the form was opened from.",
                )
            ),
            task=nullable(enum(*TASK_NAMES, description="The task of that page, if any.")),
            language=nullable(
                text(
                    pattern=LANGUAGE_CODE_PATTERN,
                    description="The contribution language of that page, if any; a code that "
                    "names no language answers 422 `invalid_value`.",
                )
            ),
        ),
        **IGNORED_FIELDS,
        "description": "The feedback form. Other fields are ignored.",
    },
    "FeedbackSent": obj(feedback=obj(id=item_id(description="The feedback's id."))),
}
