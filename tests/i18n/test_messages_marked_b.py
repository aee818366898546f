"""Issue #19: the messages of Speak, the audio checks, contributors, security, inputs,
languages, the API, the dashboard files, health and storage that an HTTP client can read are
`Text`, so they are given in the reader's language while their `code` stays the same.

The scan finds every call of a CrowdsourceError subclass (resolved in the module it is raised
from, or named like one) and of `error_response`, and refuses an f-string or a plain string as
its message. A 5xx error's message never reaches a client (app/errors_http.py replaces it), so
those are left in English for the logs and the CLI.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from app.errors import CrowdsourceError, SettingsError
from app.i18n.text import Text
from tests.api import conftest as api

ROOT = Path(__file__).resolve().parents[2]
PLACES = (
    "app/speak", "app/audio", "app/contributors", "app/security", "app/inputs.py",
    "app/languages", "app/api", "app/dashboard", "app/health", "app/errors.py", "app/storage",
)  # fmt: skip
ERROR_NAME = re.compile(r".*(Error|NotFound|BadRequest|Conflict|Forbidden|TooMany\w*)$")
# (file, enclosing function, error name): messages that stay English, and why.
EXCEPTIONS = {
    # `crowdsource languages set` (ops/languages.py) is the only caller: an operator's terminal.
    ("app/languages/service.py", "configure_language", "BadRequest"),
    ("app/languages/service.py", "configure_language", "NotFound"),
    # A missing object is 404, but the one route that reads storage (app/dashboard/views.py)
    # catches it and raises its own Text; batch jobs log it.
    ("app/storage/gcs.py", "_not_found", "ObjectNotFound"),
    ("app/storage/local.py", "_not_found", "ObjectNotFound"),
    ("app/storage/s3.py", "_client_error", "ObjectNotFound"),
}


def _files() -> list[Path]:
    found: list[Path] = []
    for place in PLACES:
        path = ROOT / place
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


def _module(path: Path) -> Any:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    return importlib.import_module(name)


def _error_class(module: Any, name: str) -> type | None:
    found = getattr(module, name, None)
    if isinstance(found, type) and issubclass(found, BaseException):
        return found
    return None


def _message_arg(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "message":
            return keyword.value
    position = 2 if name == "error_response" else 0
    return call.args[position] if len(call.args) > position else None


def _plain(node: ast.expr) -> bool:
    """An f-string, a string constant or a string built by hand (+, %, .format)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _plain(node.left) or isinstance(node.left, ast.JoinedStr)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def _untranslated() -> list[str]:
    problems: list[str] = []
    for path in _files():
        relative = path.relative_to(ROOT).as_posix()
        module = _module(path)
        tree = ast.parse(path.read_text(), relative)
        parents: dict[ast.AST, ast.AST] = {
            child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name is None or hasattr(builtins, name):  # ValueError...: never shown to anyone
                continue
            cls = _error_class(module, name)
            if cls is not None:
                if not issubclass(cls, CrowdsourceError) or cls.http_status >= 500:
                    continue
                if cls is SettingsError:  # settings are read at start, before any request
                    continue
            elif name != "error_response" and not ERROR_NAME.match(name):
                continue
            message = _message_arg(node, name)
            if message is None:
                continue
            where = parents.get(node)
            while where is not None and not isinstance(where, ast.FunctionDef):
                where = parents.get(where)
            function = where.name if isinstance(where, ast.FunctionDef) else "<module>"
            if (relative, function, name) in EXCEPTIONS:
                continue
            if _plain(message):
                problems.append(f"{relative}:{node.lineno} {name}(...) in {function}")
            elif isinstance(message, ast.Name) and hasattr(module, message.id):
                constant = getattr(module, message.id)  # a module-level message
                if isinstance(constant, str) and not isinstance(constant, Text):
                    problems.append(f"{relative}:{node.lineno} {name}({message.id})")
    return problems


def test_every_message_a_client_can_read_is_a_text() -> None:
    assert _untranslated() == []


def test_the_scan_sees_a_plain_message() -> None:
    """The scan itself: an f-string, a constant and a `+` are found; a Text is not."""
    source = (
        "def f(x):\n"
        "    raise NotFound(f'no {x}')\n"
        "    raise BadRequest('plain', code='c')\n"
        "    error_response(400, 'c', 'a' + x)\n"
        "    raise NotFound(Text('fine {x}', x=x))\n"
    )
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]
    plain = [
        c.func.id
        for c in calls
        if isinstance(c.func, ast.Name) and c.func.id != "Text"
        and (m := _message_arg(c, c.func.id)) is not None and _plain(m)
    ]  # fmt: skip
    assert plain == ["NotFound", "BadRequest", "error_response"]


HINDI = {
    "There is no language with code {code}.": "{code} कोड वाली कोई भाषा नहीं है।",
    "Your recording is only {length} long. Please read the whole sentence; recordings "
    "must be at least {minimum}.": "आपकी रिकॉर्डिंग केवल {length} की है। कम से कम {minimum} चाहिए।",
    "{count} seconds": "{count} सेकंड",
    "1 second": "1 सेकंड",
}


def _hindi(monkeypatch: Any) -> None:
    """The request's catalog answers HINDI (the English for anything else)."""
    import app.i18n.runtime as runtime

    real = runtime.loaded

    def loaded(code: str) -> Any:
        if code != "hi":
            return real(code)
        translations = SimpleNamespace(gettext=lambda message: HINDI.get(message, message))
        return SimpleNamespace(translations=translations)

    monkeypatch.setattr(runtime, "loaded", loaded)


def test_an_error_message_is_given_in_the_requested_language(client, monkeypatch) -> None:
    _hindi(monkeypatch)
    hindi = client.get("/api/v1/languages/xx1/sentences", headers={"Accept-Language": "hi"})
    english = client.get("/api/v1/languages/xx1/sentences", headers={"Accept-Language": "en"})

    assert hindi.status_code == english.status_code == 404
    assert hindi.get_json()["error"] == {
        "code": "unknown_language",
        "message": "'xx1' कोड वाली कोई भाषा नहीं है।",
    }
    assert english.get_json()["error"] == {
        "code": "unknown_language",
        "message": "There is no language with code 'xx1'.",
    }


def test_a_refusal_is_translated_when_made_and_when_read_again(app, db, monkeypatch) -> None:
    """The 422 answer is in the uploader's language; the kept English reason is shown in the
    reader's language later (GET /me/contributions)."""
    _hindi(monkeypatch)
    item = db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', 'वाक्य')"
        " RETURNING id"
    ).fetchone()["id"]
    speaker = api.new_person(app)
    speaker.environ_base["HTTP_ACCEPT_LANGUAGE"] = "hi"
    short = api.wav_bytes((np.frombuffer(api.clip("hi_2.wav")[44:], "<i2") / 32768)[:6_400])

    refused = api.upload(speaker, item, short)

    assert refused.status_code == 422
    assert refused.get_json()["error"] == {
        "code": "too_short",
        "message": "आपकी रिकॉर्डिंग केवल 0.4 सेकंड की है। कम से कम 1 सेकंड चाहिए।",
    }
    [hindi] = speaker.get("/api/v1/me/contributions").get_json()["contributions"]
    assert hindi["reason"] == refused.get_json()["error"]["message"]
    english = speaker.get("/api/v1/me/contributions", headers={"Accept-Language": "en"})
    assert english.get_json()["contributions"][0]["reason"] == (
        "Your recording is only 0.4 seconds long. Please read the whole sentence; "
        "recordings must be at least 1 second."
    )


def test_a_kept_reason_this_code_no_longer_makes_is_shown_as_it_was_kept() -> None:
    from app.audio import stored_refusal

    assert type(stored_refusal("An older wording.")) is str
    assert stored_refusal("Your recording is only a while long. Please read the whole "
                          "sentence; recordings must be at least 1 second.") == (
        "Your recording is only a while long. Please read the whole sentence; recordings "
        "must be at least 1 second."
    )  # fmt: skip
