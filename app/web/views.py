"""Pages of the web app: thin routes that render what the server knows.

Everything that changes while a volunteer works (sentences, clips, totals, the profile) is
fetched by the page's script from the JSON API (docs/api.md). Scripts and styles are static
files, never inline, so a strict Content-Security-Policy costs nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from app import deps
from app.contributors.identity import current_contributor_id, issue_session
from app.feedback.service import PAGE_MAX
from app.languages.cached import active_languages
from app.languages.work import has_recorded_or_skipped, split_by_work
from app.security.limits import new_session_allowed

bp = Blueprint("web", __name__)
bp.add_app_template_global(split_by_work, "split_by_work")

_FIND_LANGUAGE = """
SELECT code, name, native_name, script, direction
  FROM languages
 WHERE code = %(code)s AND is_active
"""

Page = str | tuple[str, int]


@bp.after_request
def issue_session_on_page_view(response: Response) -> Response:
    """A page shown to a browser without a session brings one, within the address's
    new-session limit (over it, the page still shows; its script asks POST /api/v1/session
    when it needs to write, and is told when to retry)."""
    if (
        request.method == "GET"
        and response.status_code == 200
        and current_contributor_id() is None
        and new_session_allowed() is None
    ):
        with deps.database().connection() as conn:
            issue_session(conn)
    return response


# Pages whose HTML is a shell the page's script fills (the same for everyone in a language and
# interface language, give or take a few seconds' counts): the service worker may show its
# copy at once and refresh it behind (app/web/static/sw.js).
SHELL_ENDPOINTS = frozenset(
    {
        "web.speak",
        "web.validate",
        "task_pages.transcribe",
        "task_pages.label",
        "task_pages.translate",
        "task_pages.validate_text",
    }
)
SHELL_HEADER = "X-Page-Shell"


def mark_shell_pages(response: Response) -> Response:
    """Tell the service worker which answers are page shells (only a 200 is kept)."""
    if request.endpoint in SHELL_ENDPOINTS and response.status_code == 200:
        response.headers[SHELL_HEADER] = "1"
    return response


bp.after_request(mark_shell_pages)


def _find_language(code: str) -> dict[str, Any] | None:
    """The active language with this code, or None."""
    with deps.database().connection() as conn:
        return conn.execute(_FIND_LANGUAGE, {"code": code}).fetchone()


def _languages() -> list[dict[str, Any]]:
    return active_languages()


def _work(code: str) -> dict[str, int]:
    """The language's sentences to record and recordings to check, from the cached list (so at
    most its few seconds old): what the pages' "nothing left" steps may point to."""
    for language in active_languages():
        if language["code"] == code:
            return {"sentences": language["sentence_count"], "clips": language["clip_count"]}
    return {"sentences": 0, "clips": 0}


def _unknown_language(code: str) -> tuple[str, int]:
    """An HTML 404 page (the API's JSON 404 handler is for API clients, not people)."""
    return render_template("not_found.html", code=code), 404


def _dashboard_base() -> str:
    """Where pages fetch the published dashboard files: the CDN, or "" for this app."""
    return (deps.settings().cdn_base_url or "").rstrip("/")


@bp.get("/")
def home() -> str:
    """The language list, each language with its Speak and Validate links, and the headline
    numbers (fetched by the page's script from the published summary, when there is one)."""
    return render_template("index.html", languages=_languages(), dashboard_base=_dashboard_base())


@bp.get("/speak")
def choose_language_to_speak() -> str:
    """The language list for the Speak link in the navigation."""
    return render_template(
        "choose_language.html", languages=_languages(), action="speak", active="speak"
    )


@bp.get("/validate")
def choose_language_to_validate() -> str:
    """The language list for the Validate link in the navigation."""
    return render_template(
        "choose_language.html", languages=_languages(), action="validate", active="validate"
    )


@bp.get("/speak/<code>")
def speak(code: str) -> Page:
    """Record five sentences of a language (the page's script does the work). `worked`: this
    person recorded or skipped one before, so that running out can be said as their doing."""
    language = _find_language(code)
    if language is None:
        return _unknown_language(code)
    with deps.database().connection() as conn:
        worked = has_recorded_or_skipped(conn, current_contributor_id(), code)
    return render_template(
        "speak.html", language=language, active="speak", worked=worked, work=_work(code)
    )


@bp.get("/validate/<code>")
def validate(code: str) -> Page:
    """Listen to recordings of a language and say whether they match their sentence."""
    language = _find_language(code)
    if language is None:
        return _unknown_language(code)
    return render_template("validate.html", language=language, active="validate", work=_work(code))


@bp.get("/profile")
def profile() -> str:
    """The optional profile form (choices and current values come from the API)."""
    return render_template("profile.html", active="profile")


@bp.get("/me/contributions")
def my_contributions() -> str:
    """The visitor's own recordings with their status, and their totals."""
    return render_template("contributions.html", active="contributions")


@bp.get("/me/badges")
def my_badges() -> str:
    """Badges, streak, milestones and weekly goals (from the API; nothing is awarded here)."""
    return render_template("badges.html", active="badges")


@bp.get("/key")
def key_page() -> str:
    """The contributor key: reveal, copy or scan it, replace it, or enter one from another
    device (a /key#KEY link fills the form in from its fragment, which never reaches us)."""
    return render_template("key.html", active="key")


@bp.get("/dashboard")
def dashboard() -> str:
    """The public dashboard: a shell whose script reads the published JSON files. It never
    touches the database, so it costs nothing however many people look at it."""
    return render_template("dashboard.html", dashboard_base=_dashboard_base(), active="dashboard")


# The pages whose task and language the feedback form fills in: endpoint -> task (None: the
# task is in the URL, as `task`).
_TASK_PAGES = {
    "web.speak": "speak", "web.validate": "speak", "task_pages.transcribe": "transcribe",
    "task_pages.label": "label", "task_pages.translate": "translate",
    "task_pages.validate_text": None,
}  # fmt: skip


def _feedback_origin(raw: str | None) -> dict[str, Any]:
    """What the form says about the page it was opened from (`?from=`): the path when it is
    one of ours (starts with one '/', short, no control character), and that page's task and
    language when it is a task's page of an active language."""
    origin: dict[str, Any] = {"page": None, "task": None, "language": None}
    if (
        not raw
        or not raw.startswith("/")
        or raw.startswith("//")
        or len(raw) > PAGE_MAX
        or any(ch < " " or ch in "\\\x7f" for ch in raw)
    ):
        return origin
    origin["page"] = raw
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(raw.split("?")[0])
    except HTTPException:
        return origin
    if endpoint in _TASK_PAGES and _find_language(str(args.get("code", ""))) is not None:
        task = _TASK_PAGES[endpoint] or args.get("task")
        if task in ("speak", "transcribe", "translate", "label"):
            origin["task"], origin["language"] = task, args["code"]
    return origin


@bp.get("/feedback")
def feedback() -> str:
    """The feedback form (sent by its script to POST /api/v1/feedback), with the page it was
    opened from (`?from=`, the footer's link) and that page's task and language."""
    origin = _feedback_origin(request.args.get("from"))
    return render_template("feedback.html", origin=origin, active="feedback")


@bp.get("/privacy")
def privacy() -> str:
    """What is kept, for how long, who sees what, and how export and deletion work."""
    return render_template("privacy.html", active="privacy")
