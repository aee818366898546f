"""Split a SQL script into statements, remembering the line each one starts on.

Migrations run statement by statement so that a failure can be reported as `file:line`.
The splitter understands what can hide a semicolon in PostgreSQL: quoted strings (with
'' and, in E'' strings, backslash escapes), quoted identifiers, dollar-quoted bodies
($$ or $tag$), line comments and nested block comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


@dataclass(frozen=True)
class Statement:
    text: str
    line: int  # 1-based line of the statement's first character in the script


def split_sql(script: str) -> list[Statement]:
    """Return the non-empty statements of `script`, in order, without their semicolons."""
    statements: list[Statement] = []
    first_code: int | None = None  # offset of the first character that is not blank or comment
    i = 0
    n = len(script)
    while i < n:
        ch = script[i]
        nxt = script[i + 1] if i + 1 < n else ""
        if ch == "-" and nxt == "-":
            end = script.find("\n", i)
            i = n if end == -1 else end + 1
            continue
        if ch == "/" and nxt == "*":
            i = _skip_block_comment(script, i)
            continue
        if ch.isspace():
            i += 1
            continue
        if ch == ";":
            _add(statements, script, first_code, i)
            first_code = None
            i += 1
            continue
        if first_code is None:
            first_code = i
        if ch == "'":
            escapes = i > 0 and script[i - 1] in "eE" and (i < 2 or not script[i - 2].isalnum())
            i = _skip_quoted(script, i, "'", backslash=escapes)
        elif ch == '"':
            i = _skip_quoted(script, i, '"', backslash=False)
        elif ch == "$" and (match := _DOLLAR_TAG.match(script, i)) and not _in_word(script, i):
            tag = match.group(0)
            end = script.find(tag, match.end())
            i = n if end == -1 else end + len(tag)
        else:
            i += 1
    _add(statements, script, first_code, n)
    return statements


def _add(out: list[Statement], script: str, first_code: int | None, end: int) -> None:
    if first_code is None:
        return
    text = script[first_code:end].rstrip()
    if text:
        out.append(Statement(text=text, line=script.count("\n", 0, first_code) + 1))


def _skip_block_comment(script: str, i: int) -> int:
    depth = 0
    n = len(script)
    while i < n:
        if script.startswith("/*", i):
            depth += 1
            i += 2
        elif script.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _skip_quoted(script: str, i: int, quote: str, *, backslash: bool) -> int:
    i += 1
    n = len(script)
    while i < n:
        ch = script[i]
        if backslash and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < n and script[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return n


def _in_word(script: str, i: int) -> bool:
    """A '$' right after an identifier character is part of a name (e.g. `a$b`), not a quote."""
    return i > 0 and (script[i - 1].isalnum() or script[i - 1] == "_")
