"""`crowdsource known-answers list | mark | unmark | stats`: the clips whose right answer is
known, on which validators are measured (app/validate/trust.py, ADR 0009).

A known answer comes from a clear majority (decided with no dissent) or from an operator's
word (`mark`). Clips with an even id are practice for newcomers (the answer is shown after
each), odd ones are hidden checks; warm-up runs in a language only while both pools hold
KNOWN_ANSWERS_MIN clips of each answer.
"""

from __future__ import annotations

import uuid

import click

from app.errors import NotFound
from app.validate.trust import PRACTICE_POOL, mark_known_answer, pools_ready
from ops.operator import language_code, printable, transaction


@click.group("known-answers")
def known_answers() -> None:
    """Clips whose right answer is known, on which validators are measured."""


_LIST = """
SELECT c.public_id::text AS id, c.known_answer, c.known_answer_source, c.status,
       c.accept_count, c.reject_count, c.id %% 2 AS pool, d.text AS sentence
  FROM contributions c JOIN dataset_rows d ON d.id = c.item_id
 WHERE c.language_code = %(language)s AND c.known_answer IS NOT NULL
   AND (%(source)s::text IS NULL OR c.known_answer_source = %(source)s)
 ORDER BY c.id DESC
 LIMIT %(limit)s
"""


@known_answers.command("list")
@click.option("--language", required=True, help="Language code, e.g. hi.")
@click.option("--source", type=click.Choice(["majority", "operator"]),
              help="Only answers from a clear majority, or only an operator's.")  # fmt: skip
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
def list_(language: str, source: str | None, limit: int) -> None:
    """The newest known-answer clips of a language: answer, where it came from, pool."""
    with transaction() as (conn, _settings):
        code = language_code(conn, language)
        rows = conn.execute(_LIST, {"language": code, "source": source, "limit": limit}).fetchall()
    if not rows:
        click.echo(f"no known answers in {code}" + (f" from {source}" if source else ""))
        return
    click.echo(f"{'recording':<36}  {'answer':<6}  {'source':<8}  {'pool':<8}  {'status':<8}  "
               "votes +/-  sentence")  # fmt: skip
    for row in rows:
        pool = "practice" if row["pool"] == PRACTICE_POOL else "check"
        votes = f"{row['accept_count']}/{row['reject_count']}"
        click.echo(
            f"{row['id']:<36}  {row['known_answer']:<6}  {row['known_answer_source']:<8}  "
            f"{pool:<8}  {row['status']:<8}  {votes:<9}  {printable(row['sentence'], 50)}"
        )


@known_answers.command("mark")
@click.argument("recording_id", metavar="RECORDING_ID")
@click.argument("answer", type=click.Choice(["accept", "reject"]))
def mark(recording_id: str, answer: str) -> None:
    """Make a recording a known answer (an operator's word); its verdict follows the answer."""
    with transaction() as (conn, _settings):
        row = mark_known_answer(conn, _recording(recording_id), answer)
        if row is None:
            raise NotFound(f"there is no recording with id {recording_id}")
        pool = conn.execute(
            "SELECT id %% 2 AS pool FROM contributions WHERE public_id = %s", (row["id"],)
        ).fetchone()
    where = "practice pool" if pool and pool["pool"] == PRACTICE_POOL else "check pool"
    if row["status"] == "removed":
        where = "removed after a review: in no pool"
    click.echo(f"recording {row['id']} ({row['language_code']}): known answer {answer} "
               f"({where}), status {row['status']}")  # fmt: skip


@known_answers.command("unmark")
@click.argument("recording_id", metavar="RECORDING_ID")
def unmark(recording_id: str) -> None:
    """Stop using a recording as a known answer (its verdict stays as it is)."""
    with transaction() as (conn, _settings):
        row = mark_known_answer(conn, _recording(recording_id), None)
    if row is None:
        raise NotFound(f"there is no recording with id {recording_id}")
    click.echo(f"recording {row['id']} ({row['language_code']}): no known answer, "
               f"status {row['status']}")  # fmt: skip


def _recording(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"there is no recording with id {text!r}") from None


_STATS = """
SELECT l.code,
       count(c.id) FILTER (WHERE c.id %% 2 = 0 AND c.known_answer = 'accept') AS practice_accept,
       count(c.id) FILTER (WHERE c.id %% 2 = 0 AND c.known_answer = 'reject') AS practice_reject,
       count(c.id) FILTER (WHERE c.id %% 2 = 1 AND c.known_answer = 'accept') AS check_accept,
       count(c.id) FILTER (WHERE c.id %% 2 = 1 AND c.known_answer = 'reject') AS check_reject,
       count(c.id) FILTER (WHERE c.known_answer_source = 'operator') AS by_operator
  FROM languages l
  LEFT JOIN contributions c
    ON c.language_code = l.code AND c.known_answer IS NOT NULL AND c.status <> 'removed'
 GROUP BY l.code, l.is_active
HAVING l.is_active OR count(c.id) > 0
 ORDER BY l.code
"""


@known_answers.command("stats")
def stats() -> None:
    """Per open language (and any with known answers), the sizes of the practice and check
    pools per answer, how many are an operator's word, and whether newcomers get a warm-up
    (both pools hold KNOWN_ANSWERS_MIN clips of each answer)."""
    with transaction() as (conn, settings):
        rows = conn.execute(_STATS, {}).fetchall()
        ready = {row["code"]: pools_ready(conn, row["code"], settings.known_answers_min)
                 for row in rows}  # fmt: skip
    click.echo("       practice pool   check pool")
    click.echo(f"{'lang':<5}  {'accept':>6}  {'reject':>6}  {'accept':>6}  {'reject':>6}  "
               f"{'operator':>8}  warm-up")  # fmt: skip
    for row in rows:
        if settings.warmup_clips == 0:
            warmup = "off (WARMUP_CLIPS=0)"
        elif ready[row["code"]]:
            warmup = "on"
        else:
            warmup = f"skipped (a pool has fewer than {settings.known_answers_min} of an answer)"
        click.echo(
            f"{row['code']:<5}  {row['practice_accept']:>6}  {row['practice_reject']:>6}  "
            f"{row['check_accept']:>6}  {row['check_reject']:>6}  {row['by_operator']:>8}  "
            f"{warmup}"
        )
