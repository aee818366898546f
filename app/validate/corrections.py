"""A vote that corrects: "needs a change" with the corrected text (ADR 0010 §6).

In one transaction, under the locks a vote takes (standing, then the contribution): the vote
is stored as a reject (it counts toward the original's verdict like any reject), and the
corrected text, checked by the same text rules, becomes a new contribution on the same item,
by the validator, linked to the original (`corrects_id`); it enters the queue itself. A text
refused by the rules refuses the vote too: nothing is half-written. Refusals are `Text`,
answered in the reader's language.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.contribute.items import read_item
from app.contribute.save import NewText, check_answer, correction_by, save_text
from app.contribute.tasks_open import get_task_language
from app.db import Conn
from app.errors import CrowdsourceError
from app.i18n.text import Text
from app.inputs import InvalidInput, idempotency_key
from app.settings import Settings
from app.tasks import Task, task_message
from app.validate.service import VERDICTS, VoteOutcome, cast_vote

ANSWERS = (*VERDICTS, "change")


class NoCorrections(CrowdsourceError):
    code = "no_corrections"
    http_status = 422


class CorrectionUnchanged(CrowdsourceError):
    code = "correction_unchanged"
    http_status = 422


# The tasks whose answers are not corrected (Task.corrections false): speak only.
_NOT_CORRECTED = {"speak": Text("A recording is not corrected: answer accept or reject.")}


@dataclass(frozen=True)
class VoteResult:
    outcome: VoteOutcome
    correction: dict[str, Any] | None = None


def vote_or_correct(
    conn: Conn,
    task: Task,
    validator_id: uuid.UUID,
    public_id: uuid.UUID,
    answer: str,
    *,
    text: Any,
    idempotency_key: Any,
    rules: Settings,
    device: str | None,
    browser: str | None,
    time_zone: str | None = None,
) -> VoteResult:
    """`accept`, `reject`, or `change` with `text`: see the module's docstring. Replaying a
    change returns the correction stored the first time."""
    if answer != "change":
        if text is not None:
            raise InvalidInput(Text("Only a change comes with a text."), field="text")
        return VoteResult(
            cast_vote(conn, validator_id, public_id, answer, rules=rules, task=task,
                      time_zone=time_zone)
        )  # fmt: skip
    if not task.corrections:
        raise NoCorrections(task_message(_NOT_CORRECTED, task))
    if not isinstance(text, str):
        raise InvalidInput(Text("A change needs the corrected text."), field="text")
    key = _key(idempotency_key, validator_id, public_id)
    stored: dict[str, Any] = {}

    def store_correction(conn: Conn, rec: dict[str, Any], outcome: VoteOutcome) -> None:
        item = read_item(conn, task, rec["item_id"])
        assert item is not None  # the contribution's item (a foreign key)
        language = get_task_language(conn, task, item["language_code"])
        checked = check_answer(task, item, language, text, rules)
        if checked.text == rec["text"]:
            raise CorrectionUnchanged(
                Text("The corrected text is the same as the answer. Change it, or answer Correct.")
            )
        row, _ = save_text(
            conn,
            task,
            NewText(
                contributor_id=validator_id,
                item=item,
                idempotency_key=key,
                checked=checked,
                device=device,
                browser=browser,
                report_limit=rules.reports_to_hide,
                corrects_id=rec["id"],
                time_zone=time_zone,
            ),
        )
        stored.update(row)

    with conn.transaction():
        outcome = cast_vote(
            conn, validator_id, public_id, "reject", rules=rules, task=task,
            after_vote=store_correction, time_zone=time_zone,
        )  # fmt: skip
    if not outcome.created:
        original = conn.execute(
            "SELECT id FROM contributions WHERE public_id = %s", (public_id,)
        ).fetchone()
        again = correction_by(conn, validator_id, original["id"]) if original else None
        return VoteResult(outcome, again)
    return VoteResult(outcome, stored or None)


def _key(value: Any, validator_id: uuid.UUID, public_id: uuid.UUID) -> str:
    """The correction's idempotency key: the one given, else one derived from the vote (a
    validator corrects a contribution once, so the pair names the correction)."""
    if value is not None:
        return idempotency_key(value)
    return f"correction-{uuid.uuid5(public_id, str(validator_id))}"
