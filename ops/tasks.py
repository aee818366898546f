"""`crowdsource tasks list | open | close | prompts | from-recordings`: where transcribe,
translate and label are offered, and the items made from other rows (ADR 0010)."""

from __future__ import annotations

import click

from app.contribute.opening import items_from_recordings, make_prompts, set_task
from app.contribute.tasks_open import open_tasks
from app.db import Database
from app.tasks import TYPED_TASKS, task
from ops.context import connect_database, settings_from_environment

_NAMES = [t.name for t in TYPED_TASKS]


def _database() -> Database:
    settings = settings_from_environment()
    return Database(connect_database(settings), settings)


@click.group()
def tasks() -> None:
    """Open and close transcribe, translate and label per language."""


@tasks.command("list")
def list_() -> None:
    """Each language's typed tasks: open or closed, cap, goal, votes to decide."""
    database = _database()
    with database.connection() as conn:
        rows = conn.execute(
            "SELECT language_code, task, is_open, cap, goal, votes_to_decide, from_recordings"
            " FROM language_tasks ORDER BY task, language_code"
        ).fetchall()
        items = {(r["task"], r["language"], r["source_language"]): r for r in open_tasks(conn)}
    database.close()
    click.echo(
        f"{'task':<11} {'lang':<5} {'open':<5} {'cap':<4} {'votes':<6} {'goal':<12} items open"
    )
    for row in rows:
        open_items = sum(
            v["items_open"] for (t, lang, _), v in items.items()
            if t == row["task"] and lang == row["language_code"]
        )  # fmt: skip
        click.echo(
            f"{row['task']:<11} {row['language_code']:<5} {'yes' if row['is_open'] else 'no':<5} "
            f"{row['cap']:<4} {row['votes_to_decide'] or '-':<6} {row['goal'] or '-':<12} "
            f"{open_items}"
        )


@tasks.command("open")
@click.argument("name", type=click.Choice(_NAMES))
@click.option(
    "-l", "--language", "language", required=True, help="Language code (translate: the target)."
)
@click.option("--cap", type=int, help="Answers wanted per item, corrections aside (1-100).")
@click.option("--goal", type=int, help="Dashboard goal: ms of audio (transcribe) or items.")
@click.option("--votes-to-decide", type=int, help="Counted votes that decide (1-15).")
@click.option("--from-recordings/--no-from-recordings", default=None,
              help="Transcribe: accepted recordings become clips to transcribe.")  # fmt: skip
def open_(
    name: str, language: str, cap: int | None, goal: int | None, votes_to_decide: int | None,
    from_recordings: bool | None,
) -> None:  # fmt: skip
    """Open task NAME in a language (changing only the numbers given)."""
    database = _database()
    with database.connection() as conn:
        row = set_task(
            conn, task(name), language, cap=cap, goal=goal, votes_to_decide=votes_to_decide,
            from_recordings=from_recordings,
        )  # fmt: skip
        made = items_from_recordings(conn, language) if row["from_recordings"] else 0
    database.close()
    click.echo(f"{name} open in {language}: cap {row['cap']}, goal {row['goal'] or 'default'}, "
               f"votes to decide {row['votes_to_decide'] or 'default'}")  # fmt: skip
    if made:
        click.echo(f"{made} accepted recordings became clips to transcribe")


@tasks.command("close")
@click.argument("name", type=click.Choice(_NAMES))
@click.option("-l", "--language", "language", required=True)
def close(name: str, language: str) -> None:
    """Close task NAME in a language: no new answers or votes; nothing is deleted."""
    database = _database()
    with database.connection() as conn:
        set_task(conn, task(name), language, is_open=False)
    database.close()
    click.echo(f"{name} closed in {language}")


@tasks.command("prompts")
@click.option("--from", "source", required=True, help="Source language code.")
@click.option("--to", "target", required=True, help="Target language code.")
@click.option("--skip-translated", is_flag=True,
              help="Leave out sentences whose parallel row already has the target.")  # fmt: skip
def prompts(source: str, target: str, skip_translated: bool) -> None:
    """Make translate's items for a pair: one per active source sentence (an ingest batch)."""
    database = _database()
    with database.connection() as conn:
        made = make_prompts(conn, source, target, skip_translated=skip_translated)
    database.close()
    click.echo(
        f"batch {made['batch']}: {made['added']} sentences to translate {source} -> {target}"
    )


@tasks.command("from-recordings")
@click.option("-l", "--language", "language", required=True)
def from_recordings(language: str) -> None:
    """Make clips to transcribe from the language's accepted recordings (new ones only)."""
    database = _database()
    with database.connection() as conn:
        made = items_from_recordings(conn, language)
    database.close()
    click.echo(f"{made} accepted recordings became clips to transcribe in {language}")
