"""Pages of the three text tasks (ADR 0010): transcribe a clip, translate a sentence, label an
image, and check what others typed.

Thin routes, as in app/web/views.py: they find the language(s) and render a shell; the page's
script (text-task.js, validate-text.js, translate-choose.js) fetches items and queues from the
tasks API and sends the answers. An unknown task or language gets the HTML 404 page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request, url_for

from app import deps
from app.i18n.runtime import translate as in_reader_language
from app.i18n.text import Text
from app.web.views import (
    Page,
    _find_language,
    _unknown_language,
    issue_session_on_page_view,
    mark_shell_pages,
)

bp = Blueprint("task_pages", __name__)
# As on speak's pages: a page view brings a session, so the first answer needs no extra trip.
bp.after_request(issue_session_on_page_view)
bp.after_request(mark_shell_pages)


@dataclass(frozen=True)
class TaskWords:
    """How a page names a task and its work (the text, not the rules: those are app/tasks).
    The words are kept as `Text` (made at import, before anyone reads them) and given in the
    reader's language when a template reads them."""

    name: str  # transcribe | translate | label (the API's and the URL's name)
    verb_text: Text  # the button on a language card
    work_text: Text  # what one contribution is called, plural
    check_heading_text: Text  # the validate page's question

    @property
    def verb(self) -> str:
        return in_reader_language(self.verb_text)

    @property
    def work(self) -> str:
        return in_reader_language(self.work_text)

    @property
    def check_heading(self) -> str:
        return in_reader_language(self.check_heading_text)


TEXT_TASKS: dict[str, TaskWords] = {
    words.name: words
    for words in (
        TaskWords(
            "transcribe",
            # Translators: a button on a language's card: type what a clip says.
            Text("Transcribe"),
            # Translators: what volunteers typed for clips, plural ("Check transcriptions").
            Text("transcriptions"),
            Text("Is this what the clip says?"),
        ),
        TaskWords(
            "translate",
            # Translators: a button on a language's card: translate sentences into it.
            Text("Translate"),
            # Translators: what volunteers wrote for sentences, plural ("Check translations").
            Text("translations"),
            Text("Is this a good translation?"),
        ),
        TaskWords(
            "label",
            # Translators: a button on a language's card: type the text seen in images.
            Text("Label"),
            # Translators: what volunteers typed for images, plural ("Check labels").
            Text("labels"),
            Text("Is this the text in the image?"),
        ),
    )
}

# ISO 15924 codes of the scheduled languages' scripts (languages.script), as volunteers say them.
SCRIPT_NAMES = {
    # Translators: names of writing systems, as in "Type it in Devanagari script".
    "Arab": Text("Perso-Arabic"),
    "Beng": Text("Bengali-Assamese"),
    "Deva": Text("Devanagari"),
    "Gujr": Text("Gujarati"),
    "Guru": Text("Gurmukhi"),
    "Knda": Text("Kannada"),
    "Latn": Text("Latin"),
    "Mlym": Text("Malayalam"),
    "Mtei": Text("Meetei Mayek"),
    "Olck": Text("Ol Chiki"),
    "Orya": Text("Odia"),
    "Taml": Text("Tamil"),
    "Telu": Text("Telugu"),
}


def _script_name(script: str) -> str:
    """A script's name in the reader's language (its ISO 15924 code when it has none)."""
    return in_reader_language(SCRIPT_NAMES.get(script, script))


@bp.app_template_global("script_name_of")
def script_name_of(script: str) -> str:
    """`_script_name` for templates, macros imported without context included
    (_text_answer.html)."""
    return _script_name(script)


_OPEN_TASKS = """
SELECT t.language_code, t.task
  FROM language_tasks t
  JOIN languages l ON l.code = t.language_code
 WHERE t.is_open AND l.is_active
"""


def _open_tasks() -> dict[str, list[TaskWords]]:
    """The text tasks open in each active language (its code: the tasks, in a fixed order)."""
    with deps.database().connection() as conn:
        rows = conn.execute(_OPEN_TASKS).fetchall()
    open_tasks: dict[str, list[TaskWords]] = {}
    for words in TEXT_TASKS.values():  # in the order of TEXT_TASKS, not the alphabet's
        for row in rows:
            if row["task"] == words.name:
                open_tasks.setdefault(row["language_code"], []).append(words)
    return open_tasks


def _task_url(words: TaskWords, code: str) -> str:
    """Where a language card sends a volunteer for a task; for translate, the chooser of the
    pairs into that language."""
    if words.name == "translate":
        return url_for("task_pages.choose_pair", to=code)
    return url_for(f"task_pages.{words.name}", code=code)


@bp.app_context_processor
def task_links() -> dict[str, Any]:
    """`open_tasks()` and `task_url()` for the language cards: a function, so only pages that
    list languages pay for the query."""
    return {"open_tasks": _open_tasks, "task_url": _task_url}


def _render_contribute(task: str, code: str, **context: Any) -> Page:
    language = _find_language(code)
    if language is None:
        return _unknown_language(code)
    return render_template(
        f"{task}.html",
        task=TEXT_TASKS[task],
        language=language,
        script_name=_script_name(language["script"]),
        **context,
    )


@bp.get("/transcribe/<code>")
def transcribe(code: str) -> Page:
    """Listen to clips of a language and type what is said, five per round."""
    return _render_contribute("transcribe", code)


@bp.get("/label/<code>")
def label(code: str) -> Page:
    """Look at images of text in a language and type the text, five per round."""
    return _render_contribute("label", code)


@bp.get("/translate")
def choose_pair() -> str:
    """The language pairs open for translation (`?to=<code>` keeps those into one language);
    the page's script lists them from GET /api/v1/tasks."""
    return render_template(
        "translate_choose.html", task=TEXT_TASKS["translate"], target=request.args.get("to", "")
    )


@bp.get("/translate/<source_code>/<code>")
def translate(source_code: str, code: str) -> Page:
    """Translate sentences of one language into another, five per round."""
    source = _find_language(source_code)
    if source is None or source_code == code:
        return _unknown_language(source_code)
    return _render_contribute("translate", code, source=source)


@bp.get("/validate/<task>/<code>")
def validate_text(task: str, code: str) -> Page:
    """Check others' transcriptions, translations (`?from=<code>` for one source language) or
    labels of a language: Correct, Needs a change (with the corrected text), Skip, Report."""
    if task not in TEXT_TASKS:
        return _unknown_language(task)
    language = _find_language(code)
    if language is None:
        return _unknown_language(code)
    source = None
    source_code = request.args.get("from")
    if task == "translate" and source_code:
        source = _find_language(source_code)
        if source is None or source_code == code:
            return _unknown_language(source_code)
    return render_template(
        "validate_text.html",
        task=TEXT_TASKS[task],
        language=language,
        source=source,
        script_name=_script_name(language["script"]),
    )
