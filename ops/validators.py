"""`crowdsource validators list | distrust | trust`: validators' standing per language and task
(speak unless `--task` says otherwise) and the operator's word on it (app/validate/trust.py,
ADR 0009, ADR 0010).

Validators are anonymous: they are shown by their contributor id (the random id in their
signed cookie), never by a display name.
"""

from __future__ import annotations

import uuid
from typing import Any

import click

from app.db import Conn
from app.errors import NotFound
from app.settings import Settings
from app.tasks import TASKS, Task, task
from app.validate.trust import STATES, distrust, restore_trust, standing
from ops.operator import language_code, plural, printable, transaction

_TASK = click.option(
    "--task", "task_name", type=click.Choice([t.name for t in TASKS]), default="speak",
    show_default=True, help="The task whose standing it is.",
)  # fmt: skip


@click.group()
def validators() -> None:
    """Validators' standing per language; stop or restore counting their votes."""


_LIST = """
SELECT s.validator_id::text AS id, s.state, s.practice_answered, s.practice_agreed,
       s.checks_answered, s.checks_agreed, s.reason, s.changed_at,
       coalesce(v.votes, 0) AS votes, coalesce(v.counted, 0) AS counted
  FROM validator_standing s
  LEFT JOIN LATERAL (
      SELECT count(*) AS votes, count(*) FILTER (WHERE x.counted) AS counted
        FROM validations x JOIN contributions c ON c.id = x.contribution_id
       WHERE x.validator_id = s.validator_id AND x.role = 'vote'
         AND c.language_code = s.language_code AND c.kind = %(kind)s
  ) v ON true
 WHERE s.language_code = %(language)s AND s.task = %(task)s
   AND (%(state)s::text IS NULL OR s.state = %(state)s)
 ORDER BY array_position(%(states)s, s.state), s.changed_at DESC, s.validator_id
 LIMIT %(limit)s
"""


@validators.command("list")
@click.option("--language", required=True, help="Language code, e.g. hi.")
@click.option("--state", type=click.Choice(STATES), help="Only validators in this state.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@_TASK
def list_(language: str, state: str | None, limit: int, task_name: str) -> None:
    """Validators of a language: state, practice and check answers (agreed of answered),
    their votes (counted of cast) and why their state last changed."""
    with transaction() as (conn, _settings):
        code = language_code(conn, language)
        chosen = task(task_name)
        rows = conn.execute(
            _LIST,
            {"language": code, "state": state, "limit": limit, "states": list(STATES),
             "task": chosen.name, "kind": chosen.contribution_kind},
        ).fetchall()  # fmt: skip
    if not rows:
        click.echo(f"no validators in {code}" + (f" in state {state}" if state else ""))
        return
    click.echo(f"{'validator':<36}  {'state':<10}  {'practice':>8}  {'checks':>7}  "
               f"{'agree':>5}  {'counted/all':>11}  why")  # fmt: skip
    for row in rows:
        practice = f"{row['practice_agreed']}/{row['practice_answered']}"
        checks = f"{row['checks_agreed']}/{row['checks_answered']}"
        votes = f"{row['counted']}/{row['votes']}"
        click.echo(
            f"{row['id']:<36}  {row['state']:<10}  {practice:>8}  {checks:>7}  "
            f"{_agreement(row):>5}  {votes:>11}  {printable(row['reason'] or '', 60)}"
        )


def _agreement(row: dict[str, Any]) -> str:
    """The share of hidden checks the validator agreed on, or '-' before any."""
    answered = int(row["checks_answered"])
    return f"{100 * int(row['checks_agreed']) // answered}%" if answered else "-"


@validators.command("distrust")
@click.argument("validator_id", metavar="ID")
@click.option("--language", required=True, help="Language code, e.g. hi.")
@click.option("--reason", default="distrusted by an operator", show_default=True,
              help="Why (kept with the standing, at most 200 characters).")  # fmt: skip
@_TASK
def distrust_(validator_id: str, language: str, reason: str, task_name: str) -> None:
    """Stop counting a validator's votes in a language: the votes are kept, marked not
    counted, and every verdict they touched is recomputed."""
    with transaction() as (conn, settings):
        rules = settings
        chosen = task(task_name)
        me, code = _validator(conn, validator_id, language, rules, chosen)
        before = _verdicts(conn, me, code, chosen, counted=True)
        distrust(conn, me, code, reason, rules, chosen)
        changed = _changed(before, _verdicts(conn, me, code, chosen, counted=None))
    click.echo(f"validator {me} in {code}: distrusted; {plural(len(before), 'verdict')} "
               f"recomputed, {changed} changed")  # fmt: skip


@validators.command("trust")
@click.argument("validator_id", metavar="ID")
@click.option("--language", required=True, help="Language code, e.g. hi.")
@_TASK
def trust(validator_id: str, language: str, task_name: str) -> None:
    """Count a validator's votes in a language again (an operator's word): every vote they
    cast there counts, and the verdicts they touch are recomputed."""
    with transaction() as (conn, settings):
        rules = settings
        chosen = task(task_name)
        me, code = _validator(conn, validator_id, language, rules, chosen)
        before = _verdicts(conn, me, code, chosen, counted=False)
        restore_trust(conn, me, code, rules, chosen)
        changed = _changed(before, _verdicts(conn, me, code, chosen, counted=None))
    click.echo(f"validator {me} in {code}: counting; {plural(len(before), 'verdict')} "
               f"recomputed, {changed} changed")  # fmt: skip


# The recordings of this language the validator voted on (ordinary votes) and their verdicts;
# with `counted`, only those whose vote is (or is not) counted: the ones a change of standing
# recounts (app.validate.trust.count_votes; removed recordings are never recounted).
_VERDICTS = """
SELECT c.id, c.status FROM validations v JOIN contributions c ON c.id = v.contribution_id
 WHERE v.validator_id = %(me)s AND v.role = 'vote' AND c.language_code = %(language)s
   AND c.kind = %(kind)s AND c.status <> 'removed'
   AND (%(counted)s::boolean IS NULL OR v.counted = %(counted)s)
"""


def _verdicts(conn: Conn, me: uuid.UUID, language: str, chosen: Task, *, counted: bool | None
              ) -> dict[int, str]:  # fmt: skip
    params = {"me": me, "language": language, "counted": counted,
              "kind": chosen.contribution_kind}  # fmt: skip
    rows = conn.execute(_VERDICTS, params).fetchall()
    return {int(row["id"]): str(row["status"]) for row in rows}


def _changed(before: dict[int, str], after: dict[int, str]) -> int:
    return sum(after.get(key) != status for key, status in before.items())


def _validator(conn: Conn, text: str, language: str, rules: Settings, chosen: Task
               ) -> tuple[uuid.UUID, str]:  # fmt: skip
    """The validator's id and the language, both checked: a validator is someone with a
    standing in the language (made when they are first handed a clip there), or with votes
    there from before standings existed (their standing is made now)."""
    code = language_code(conn, language)
    try:
        me = uuid.UUID(text)
    except ValueError:
        raise NotFound(f"there is no validator with id {text!r}") from None
    row = conn.execute(
        _KNOWN_VALIDATOR,
        {"me": me, "language": code, "task": chosen.name, "kind": chosen.contribution_kind},
    ).fetchone()
    if row is None or not (row["standing"] or row["voted"]):
        raise NotFound(
            f"there is no validator {me} in {code} (see `crowdsource validators list "
            f"--language {code}`)"
        )
    if not row["standing"]:
        standing(conn, me, code, rules, chosen)
    return me, code


_KNOWN_VALIDATOR = """
SELECT EXISTS (SELECT 1 FROM validator_standing
                WHERE validator_id = %(me)s AND language_code = %(language)s
                  AND task = %(task)s) AS standing,
       EXISTS (SELECT 1 FROM validations v JOIN contributions c ON c.id = v.contribution_id
                WHERE v.validator_id = %(me)s AND c.language_code = %(language)s
                  AND c.kind = %(kind)s) AS voted
"""
