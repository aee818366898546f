"""The OpenAPI operations and schemas of a person's progress (issue #20): badges, streak,
milestones and weekly goals. The badges and milestones a write earned come back in its own
answer (`achievements`, schema "Achievement")."""

from __future__ import annotations

from app.api.building import DB, JSON_BODY, Obj, op, request_body, returns
from app.api.schemas import (
    LANGUAGE_CODE,
    TASK_NAMES,
    Schema,
    array,
    count,
    enum,
    nullable,
    obj,
    object_of,
    ref,
    text,
)
from app.progress.service import BADGE_LEVELS, CATEGORIES, ITEMS_MILESTONES, STREAK_MILESTONES
from app.progress.summary import GOAL_MAX, GOAL_MIN

_LEVEL = enum(*BADGE_LEVELS.values())
_THRESHOLDS = sorted({*BADGE_LEVELS, *STREAK_MILESTONES, *ITEMS_MILESTONES})
_DATE = text(format="date")

PROGRESS_SCHEMAS: dict[str, Schema] = {
    "Achievement": obj(
        kind=enum(
            "badge",
            "streak",
            "items",
            description="A badge (per language × task × "
            "category), days in a row, or items (contributions and votes) in all.",
        ),
        level=nullable(_LEVEL),
        threshold={"type": "integer", "enum": _THRESHOLDS},
        language=nullable(LANGUAGE_CODE),
        language_name=nullable(text(description="The language's name in English.")),
        task=nullable(enum(*TASK_NAMES)),
        category=nullable(enum(*CATEGORIES)),
    ),
    "Achievements": {
        **array(ref("Achievement")),
        "description": "What this write earned (empty when it earned nothing, or stored "
        "nothing new: a retry). Badges first, then milestones.",
    },
    "BadgeLine": obj(
        language=LANGUAGE_CODE,
        language_name=text(),
        language_native_name=nullable(text()),
        task=enum(*TASK_NAMES),
        category=enum(*CATEGORIES),
        count=count(description="Contributions (or votes) in this line of work."),
        held=array(obj(level=_LEVEL, threshold=count(minimum=1))),
        next=nullable(obj(level=_LEVEL, threshold=count(minimum=1))),
    ),
    "Milestone": obj(
        kind=enum("streak", "items"),
        level={"type": "null"},
        threshold=count(minimum=1),
        language={"type": "null"},
        language_name={"type": "null"},
        task={"type": "null"},
        category={"type": "null"},
        awarded_at=text(format="date-time"),
    ),
    "WeeklyGoal": obj(
        task=enum(*TASK_NAMES),
        target=count(minimum=GOAL_MIN, maximum=GOAL_MAX),
        done=count(description="Contributions and votes of the task this week."),
    ),
    "Progress": obj(
        badges=array(ref("BadgeLine")),
        milestones=array(ref("Milestone")),
        items=obj(total=count(), next=nullable(count(minimum=1))),
        streak=obj(
            current=count(
                description="Days in a row up to today (or yesterday, while today has nothing yet)."
            ),
            best=count(),
            today={"type": "boolean", "description": "Today counts already."},
            next=nullable(count(minimum=1)),
        ),
        goals=array(ref("WeeklyGoal")),
        week=obj(start=_DATE, end=_DATE),
        time_zone=text(description="The IANA zone the days are counted in."),
    ),
    "Goals": object_of(
        {task: nullable(count(minimum=GOAL_MIN, maximum=GOAL_MAX)) for task in TASK_NAMES},
        optional=TASK_NAMES,
    ),
}


def progress_operations() -> list[tuple[str, str, Obj]]:
    """GET /me/progress and PUT /me/goals."""
    return [
        op("GET /me/progress", "progress.get", "Badges, streak, milestones and weekly goals",
            {200: returns("Progress", "Zeros and empty lists without a session.")},
            errors=DB,
            description="A read: nothing is awarded here (badges and milestones are earned by "
            "the write that reaches them). Days are counted in the zone of the `X-Time-Zone` "
            "header (an IANA name; anything else is ignored), else the zone last stored, else "
            "UTC; a week runs Monday to Sunday there."),
        op("PUT /me/goals", "progress.setGoals", "Set or remove weekly goals",
            {200: returns("Progress", "Stored; the person's progress, goals included.")},
            body=request_body("Goals"),
            errors=(*DB, *JSON_BODY, "invalid_field"),
            description="A number from 1 to 10,000 sets a task's goal (items per week), null "
            "removes it; tasks not named stay as they are. An unknown task or a bad number "
            "answers `422 invalid_field` naming the `field`, and nothing is stored."),
    ]  # fmt: skip
