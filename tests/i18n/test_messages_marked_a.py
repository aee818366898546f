"""The messages of the tasks, contributions, validation and reports are translatable (issue
#19): every refusal an HTTP client can meet there is a `Text`, never an f-string or a plain
string, and an API error from these areas is answered from the reader's catalog with its
`code` unchanged.

The scan covers app/contribute, app/tasks, app/validate, app/reports and app/ingest, minus
the modules only the CLI runs (their messages are for operators, in English): they are named
in CLI_ONLY, each with where it is run from.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import app as app_package
from app.errors import CrowdsourceError
from app.i18n.text import Text, render
from app.tasks.text import check_text
from tests.api.conftest import error_of, new_person

ROOT = Path(app_package.__file__).parent
DIRECTORIES = ("contribute", "tasks", "validate", "reports", "ingest")
CLI_ONLY = {
    "app/contribute/opening.py",  # `crowdsource tasks`, the demo
    "app/reports/review.py",  # `crowdsource reports`
    "app/ingest/",  # `crowdsource ingest`, the demo (app/tasks/text.py reads its tables only)
}


def _error_names() -> set[str]:
    """The names of every CrowdsourceError class these areas can see (their modules, and
    what they import, imported)."""
    for directory in DIRECTORIES:
        for module in pkgutil.walk_packages([str(ROOT / directory)], prefix=f"app.{directory}."):
            importlib.import_module(module.name)
    names: set[str] = set()
    todo: list[type] = [CrowdsourceError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _is_words(node: ast.AST) -> bool:
    """An English string made in place: a literal, an f-string, or made of them."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp):
        return _is_words(node.left) or _is_words(node.right)
    if isinstance(node, ast.IfExp):
        return _is_words(node.body) or _is_words(node.orelse)
    return False


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _scanned() -> list[Path]:
    files = []
    for directory in DIRECTORIES:
        for path in sorted((ROOT / directory).rglob("*.py")):
            relative = path.relative_to(ROOT.parent).as_posix()
            if not any(relative.startswith(cli) for cli in CLI_ONLY):
                files.append(path)
    return files


def test_no_error_of_these_areas_is_made_of_plain_words() -> None:
    errors = _error_names()
    assert {"UnknownTask", "TextRefused", "LinkExpired", "InvalidInput"} <= errors
    found = []
    for path in _scanned():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            if name in errors:
                given = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "message")]
            elif name == "error_response":
                given = [*node.args[2:3], *(k.value for k in node.keywords if k.arg == "message")]
            else:
                continue
            if any(_is_words(arg) for arg in given):
                found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {name}(...)")
    assert not found, "messages to mark with Text(...):\n" + "\n".join(found)


def test_the_scan_sees_what_it_is_meant_to_refuse() -> None:
    names = {"NotFound"}
    for source in ('NotFound(f"no {x}")', 'NotFound("no")', 'NotFound("a" if b else f"{c}")'):
        call = ast.parse(source).body[0].value  # type: ignore[attr-defined]
        assert _called(call) in names and _is_words(call.args[0])
    call = ast.parse('NotFound(Text("no {x}", x=x))').body[0].value  # type: ignore[attr-defined]
    assert not _is_words(call.args[0])
    assert _scanned() and not any("ingest" in path.parts for path in _scanned())


def _hindi(monkeypatch: pytest.MonkeyPatch, catalog: dict[str, str]) -> None:
    """The Hindi catalog answers with `catalog` (other messages stay English)."""
    import app.i18n.runtime as runtime

    real = runtime.loaded

    def loaded(code: str) -> Any:
        if code != "hi":
            return real(code)
        return SimpleNamespace(
            translations=SimpleNamespace(gettext=lambda message: catalog.get(message, message))
        )

    monkeypatch.setattr(runtime, "loaded", loaded)


def test_an_unknown_task_is_answered_from_the_readers_catalog(app, monkeypatch) -> None:
    _hindi(monkeypatch, {"There is no task called {name}.": "{name} नाम का कोई काम नहीं है।"})
    path = "/api/v1/tasks/dance/languages/hi/items"
    client = app.test_client()

    english = client.get(path, headers={"Accept-Language": "en"})
    hindi = client.get(path, headers={"Accept-Language": "hi-IN"})

    assert error_of(english) == error_of(hindi) == (404, "unknown_task")
    assert english.get_json()["error"]["message"] == "There is no task called 'dance'."
    assert hindi.get_json()["error"]["message"] == "'dance' नाम का कोई काम नहीं है।"


def test_a_report_on_nothing_is_refused_in_the_readers_language(app, monkeypatch) -> None:
    _hindi(monkeypatch, {"There is no sentence with id {id}.": "आईडी {id} का कोई वाक्य नहीं है।"})
    person = new_person(app)
    body = {"target": "sentence", "id": 987654321, "reason": "offensive"}

    answer = person.post("/api/v1/reports", json=body, headers={"Accept-Language": "hi"})

    assert error_of(answer) == (404, "unknown_item")
    assert answer.get_json()["error"]["message"] == "आईडी 987654321 का कोई वाक्य नहीं है।"


def test_a_text_refusal_translates_the_script_name_inside_it() -> None:
    with pytest.raises(CrowdsourceError) as refused:
        check_text("hello there", script="Taml", language_name="Tamil", kind="label")
    message = refused.value.message
    assert isinstance(message, Text) and refused.value.code == "wrong_script"
    assert message == "This doesn't look like Tamil script. Please type it in Tamil."
    catalog = {
        "This doesn't look like {script} script. Please type it in {language}.": (
            "यह {script} लिपि नहीं लगती। कृपया इसे {language} में लिखें।"
        ),
        "Tamil": "तमिल",
    }
    assert render(message, lambda m: catalog.get(m, m)) == (
        "यह तमिल लिपि नहीं लगती। कृपया इसे Tamil में लिखें।"
    )
