"""Contributors: the optional profile, and what a person has contributed."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from app.db import Conn
from app.errors import CrowdsourceError
from app.i18n.text import Text
from app.tasks import TYPED_TASKS, task_of_kind_sql

AGE_GROUPS = {
    "teens": "Under 20",
    "twenties": "20–29",
    "thirties": "30–39",
    "forties": "40–49",
    "fifties": "50–59",
    "sixties": "60–69",
    "seventies": "70–79",
    "eighties": "80–89",
    "nineties": "90 or over",
}
GENDERS = {"female": "Female", "male": "Male", "transgender": "Transgender", "other": "Other"}
PROFILE_FIELDS = ("display_name", "age_group", "gender", "mother_tongue", "region_code")
# Whether the display name may be shown on the public leaderboards (off by default; needs a
# display name: clearing the name turns it off).
OPT_IN = "leaderboard_opt_in"

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_PHONE = re.compile(r"(?:\+?\d[\s().-]*){7,}")


class InvalidProfileValue(CrowdsourceError):
    code = "invalid_value"
    http_status = 422


class PersonalData(CrowdsourceError):
    code = "personal_data"
    http_status = 422


class ErasedContributor(CrowdsourceError):
    """A session of a person whose data was erased (DELETE /api/v1/me): never brought back."""

    code = "no_session"
    http_status = 401


# The row locked as the foreign keys of the write about to be made would lock it: a write
# made while the person is being erased waits for the erasure, then finds them gone.
_LOCK_CONTRIBUTOR = "SELECT 1 FROM contributors WHERE id = %(id)s FOR KEY SHARE"
_CREATE_CONTRIBUTOR = """
INSERT INTO contributors (id)
SELECT %(id)s WHERE NOT EXISTS (SELECT 1 FROM erasures WHERE contributor_id = %(id)s)
    ON CONFLICT (id) DO NOTHING
"""


def ensure_contributor(conn: Conn, contributor_id: uuid.UUID) -> None:
    """Create the contributor's row if this is their first write.

    Raises ErasedContributor (401 no_session; identity.py then clears the cookie) for a
    person who was erased, also when the erasure commits while this write waits for it: an
    erased id never comes back.
    """
    if conn.execute(_LOCK_CONTRIBUTOR, {"id": contributor_id}).fetchone() is not None:
        return
    conn.execute(_CREATE_CONTRIBUTOR, {"id": contributor_id})
    if conn.execute(_LOCK_CONTRIBUTOR, {"id": contributor_id}).fetchone() is None:
        raise ErasedContributor(
            Text("The data of this browser's session was erased. Reload the page to start afresh.")
        )


def profile_options(conn: Conn) -> dict[str, Any]:
    """The choices the profile form offers (null always means "prefer not to say")."""
    regions = conn.execute("SELECT code, name, kind FROM regions ORDER BY name").fetchall()
    languages = conn.execute(
        "SELECT code, name, native_name FROM languages WHERE is_active ORDER BY name"
    ).fetchall()
    return {
        "age_groups": [{"value": k, "label": v} for k, v in AGE_GROUPS.items()],
        "genders": [{"value": k, "label": v} for k, v in GENDERS.items()],
        "regions": regions,
        # A mother tongue may be one we do not collect yet.
        "languages": [*languages, {"code": "other", "name": "Other", "native_name": "Other"}],
    }


def get_profile(conn: Conn, contributor_id: uuid.UUID | None) -> dict[str, Any]:
    """The person's profile; all nulls for someone who has not written anything yet."""
    row = None
    if contributor_id is not None:
        row = conn.execute(
            "SELECT display_name, age_group, gender, mother_tongue, region_code,"
            " leaderboard_opt_in FROM contributors WHERE id = %s",
            (contributor_id,),
        ).fetchone()
    return dict(row) if row else {**dict.fromkeys(PROFILE_FIELDS), OPT_IN: False}


def interface_locale(conn: Conn, contributor_id: uuid.UUID | None) -> str | None:
    """The interface language the person chose with the switcher (app/i18n), if any."""
    if contributor_id is None:
        return None
    row = conn.execute(
        "SELECT interface_locale FROM contributors WHERE id = %s", (contributor_id,)
    ).fetchone()
    return row["interface_locale"] if row else None


def update_profile(
    conn: Conn, contributor_id: uuid.UUID, changes: dict[str, Any]
) -> dict[str, Any]:
    """Check and save the given profile fields; return the whole profile.

    Raises InvalidProfileValue (unknown field or value, or opting in to the leaderboards
    without a display name) or PersonalData (an e-mail address or phone number in the display
    name). Clearing the display name also opts the person out of the leaderboards.
    """
    changes = dict(changes)
    opt_in_given = OPT_IN in changes
    opt_in = changes.pop(OPT_IN, None)
    if opt_in_given and not isinstance(opt_in, bool):
        raise InvalidProfileValue(
            Text("'{field}' must be true or false.", field=OPT_IN), field=OPT_IN
        )
    clean = _check_profile_changes(conn, changes)
    ensure_contributor(conn, contributor_id)
    # The row is locked first, so a concurrent change of the name cannot slip in between.
    # NO KEY UPDATE: it waits for another profile save of the person, not for the KEY SHARE
    # lock ensure_contributor holds (a FOR UPDATE here deadlocked two saves holding both).
    stored = conn.execute(
        "SELECT display_name, leaderboard_opt_in FROM contributors WHERE id = %s FOR NO KEY UPDATE",
        (contributor_id,),
    ).fetchone()
    assert stored is not None
    name = clean["display_name"] if "display_name" in clean else stored["display_name"]
    if opt_in and name is None:
        raise InvalidProfileValue(
            Text(
                "Choose a display name before you join the leaderboards: they show people "
                "by their display name."
            ),
            field=OPT_IN,
        )
    if opt_in_given or (name is None and stored["leaderboard_opt_in"]):
        clean[OPT_IN] = bool(opt_in) and name is not None
    if clean:
        assignments = ", ".join(f"{field} = %({field})s" for field in clean)  # fields are our own
        conn.execute(
            f"UPDATE contributors SET {assignments}, updated_at = now() WHERE id = %(id)s",
            {**clean, "id": contributor_id},
        )
    return get_profile(conn, contributor_id)


def _check_profile_changes(conn: Conn, changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in PROFILE_FIELDS:
            raise InvalidProfileValue(
                Text("Unknown profile field '{field}'.", field=field), field=field
            )
        if value is None or value == "":
            clean[field] = None
            continue
        if not isinstance(value, str):
            raise InvalidProfileValue(
                Text("'{field}' must be text or null.", field=field), field=field
            )
        clean[field] = _check_value(conn, field, value)
    return clean


def _check_value(conn: Conn, field: str, value: str) -> str | None:
    if field == "display_name":
        return check_display_name(value)
    if field == "age_group" and value in AGE_GROUPS:
        return value
    if field == "gender" and value in GENDERS:
        return value
    if field == "region_code" and _exists(conn, "SELECT 1 FROM regions WHERE code = %s", value):
        return value
    if field == "mother_tongue" and (
        value == "other" or _exists(conn, "SELECT 1 FROM languages WHERE code = %s", value)
    ):
        return value
    # Translators: {value} is what was sent; {field} the name of a profile field (age_group...).
    message = Text("'{value}' is not one of the choices for '{field}'.", value=value, field=field)
    raise InvalidProfileValue(message, field=field)


def check_display_name(value: str) -> str | None:
    """A display name as stored: NFC, single spaces, 1-30 characters, no contact details."""
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if not name:
        return None
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidProfileValue(
            Text("The display name contains characters that cannot be shown."),
            field="display_name",
        )
    if len(name) > 30:
        raise InvalidProfileValue(
            Text("The display name can be at most {limit} characters long.", limit=30),
            field="display_name",
        )
    if _EMAIL.search(name) or _PHONE.search(name):
        raise PersonalData(
            Text(
                "Please don't use an e-mail address or phone number as your display name: "
                "it is shown publicly on leaderboards."
            ),
            field="display_name",
        )
    return name


def _exists(conn: Conn, query: str, value: str) -> bool:
    return conn.execute(query, (value,)).fetchone() is not None


_TOTALS = """
SELECT count(*) FILTER (WHERE c.kind = 'recording')                          AS recordings,
       count(*) FILTER (WHERE c.kind = 'recording' AND c.status = 'accepted') AS accepted,
       count(*) FILTER (WHERE c.kind = 'recording' AND c.status = 'rejected') AS rejected,
       count(*) FILTER (WHERE c.kind = 'recording' AND c.status = 'pending')  AS pending,
       coalesce(sum(c.duration_ms) FILTER (WHERE c.kind = 'recording'), 0)    AS ms_recorded,
       (SELECT count(*) FROM upload_refusals r WHERE r.contributor_id = %(id)s) AS refused,
       (SELECT count(*) FROM validations v WHERE v.validator_id = %(id)s)       AS validations
  FROM contributions c
 WHERE c.contributor_id = %(id)s
"""


def contributor_totals(conn: Conn, contributor_id: uuid.UUID | None) -> dict[str, Any]:
    """Counts of the person's recordings by status, refusals, votes and seconds recorded."""
    if contributor_id is None:
        row: dict[str, Any] = {
            "recordings": 0, "accepted": 0, "rejected": 0, "pending": 0,
            "ms_recorded": 0, "refused": 0, "validations": 0,
        }  # fmt: skip
    else:
        row = dict(conn.execute(_TOTALS, {"id": contributor_id}).fetchone() or {})
    ms = int(row.pop("ms_recorded") or 0)
    return {**{k: int(v) for k, v in row.items()}, "seconds_recorded": round(ms / 1000, 1)}


# The typed tasks' answers of a person, by task and verdict (a correction is an answer too),
# and the votes cast on each task's answers; read by GET /api/v1/me only (an upload's answer
# carries speak's totals, not these).
_TASK_TOTALS = """
SELECT t.task,
       (SELECT count(*) FROM contributions c
         WHERE c.contributor_id = %(id)s AND c.kind = t.kind) AS answers,
       (SELECT count(*) FROM contributions c
         WHERE c.contributor_id = %(id)s AND c.kind = t.kind AND c.status = 'accepted')
           AS accepted,
       (SELECT count(*) FROM contributions c
         WHERE c.contributor_id = %(id)s AND c.kind = t.kind AND c.status = 'pending')
           AS pending,
       (SELECT count(*) FROM contributions c
         WHERE c.contributor_id = %(id)s AND c.kind = t.kind AND c.corrects_id IS NOT NULL)
           AS corrections,
       (SELECT count(*) FROM validations v JOIN contributions c ON c.id = v.contribution_id
         WHERE v.validator_id = %(id)s AND c.kind = t.kind) AS validations
  FROM unnest(%(tasks)s::text[], %(kinds)s::text[]) AS t(task, kind)
"""


def task_totals(conn: Conn, contributor_id: uuid.UUID | None) -> dict[str, dict[str, int]]:
    """Per typed task: the person's answers (accepted, pending, corrections among them) and
    the votes they cast on others' answers. Zeros for a visitor without a session."""
    fields = ("answers", "accepted", "pending", "corrections", "validations")
    if contributor_id is None:
        return {t.name: dict.fromkeys(fields, 0) for t in TYPED_TASKS}
    rows = conn.execute(
        _TASK_TOTALS,
        {
            "id": contributor_id,
            "tasks": [t.name for t in TYPED_TASKS],
            "kinds": [t.contribution_kind for t in TYPED_TASKS],
        },
    ).fetchall()
    return {row["task"]: {f: int(row[f]) for f in fields} for row in rows}


_MY_CONTRIBUTIONS = f"""
SELECT id, task, language, sentence, text, status, reason, duration_ms, accept_count,
       reject_count, created_at, count(*) OVER () AS total
  FROM (
    SELECT c.public_id::text AS id,
           {task_of_kind_sql("c.kind")} AS task,
           c.language_code AS language,
           CASE WHEN c.kind = 'recording' THEN d.text END AS sentence, c.text, c.status,
           NULL::text AS reason, c.duration_ms, c.accept_count::int, c.reject_count::int,
           c.created_at
      FROM contributions c JOIN dataset_rows d ON d.id = c.item_id
     WHERE c.contributor_id = %(id)s
    UNION ALL
    SELECT 'refused-' || r.id, 'speak', r.language_code, d.text, NULL, 'refused', r.message,
           NULL, 0, 0, r.created_at
      FROM upload_refusals r JOIN dataset_rows d ON d.id = r.item_id
     WHERE r.contributor_id = %(id)s
  ) mine
 ORDER BY created_at DESC, id
 LIMIT %(limit)s OFFSET %(offset)s
"""


def my_contributions(
    conn: Conn, contributor_id: uuid.UUID | None, *, page: int, per_page: int
) -> dict[str, Any]:
    """One page of the person's contributions of every task (each with its `task`; a typed
    one with its `text`, a recording with its `sentence`) and refused uploads, newest first."""
    rows: list[dict[str, Any]] = []
    if contributor_id is not None:
        rows = conn.execute(
            _MY_CONTRIBUTIONS,
            {"id": contributor_id, "limit": per_page, "offset": (page - 1) * per_page},
        ).fetchall()
    total = rows[0]["total"] if rows else _count_mine(conn, contributor_id) if page > 1 else 0
    for row in rows:
        row.pop("total")
        row["created_at"] = row["created_at"].isoformat()
    return {"contributions": rows, "page": page, "per_page": per_page, "total": total}


def _count_mine(conn: Conn, contributor_id: uuid.UUID | None) -> int:
    if contributor_id is None:
        return 0
    row = conn.execute(
        "SELECT (SELECT count(*) FROM contributions WHERE contributor_id = %(id)s)"
        " + (SELECT count(*) FROM upload_refusals WHERE contributor_id = %(id)s) AS n",
        {"id": contributor_id},
    ).fetchone()
    return int(row["n"]) if row else 0
