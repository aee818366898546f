"""Reading and checking request input in routes; every problem becomes a 4xx JSON error.

Text the database cannot hold (a NUL character, an unpaired UTF-16 surrogate such as the
JSON escape "\\ud800") and bytes that are not UTF-8 are refused here, in one place, before any
route sees them: `json_body()` checks every key and string of the body, `CheckedRequest` every
form field and file name as the form is parsed, and `refuse_hostile_request` (before each
request) the path, the query string and the headers. Each answers 400 `invalid_input` naming
the field when it can, so nothing reaches a statement half-checked.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import uuid
from collections.abc import Iterable
from typing import IO, Any, Literal
from urllib.parse import parse_qsl

from flask import Flask, Request, request
from werkzeug.datastructures import Headers
from werkzeug.formparser import FormDataParser, MultiPartParser

from app.errors import BadRequest, CrowdsourceError
from app.i18n.text import Text

_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,100}")
# NUL (PostgreSQL text cannot hold it) and UTF-16 surrogates: a JSON "\ud800" escape decodes to
# one, and bytes that are not UTF-8 are decoded here with surrogateescape, so they become one too.
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
# Requests the guard leaves alone: the probes answer whatever the query says.
_UNGUARDED_BLUEPRINTS = frozenset({"health"})


class InvalidField(CrowdsourceError):
    code = "invalid_field"
    http_status = 422


class MissingField(BadRequest):
    code = "missing_field"


class InvalidInput(BadRequest):
    code = "invalid_input"


def has_forbidden_text(value: str) -> bool:
    """True when `value` holds a NUL, an unpaired surrogate or (decoded here) non-UTF-8 bytes."""
    return _FORBIDDEN.search(value) is not None


def _refuse(field: str | None, unnamed: Text) -> InvalidInput:
    """The error for forbidden text in `field`; `unnamed` is the message when there is no
    field to name (the field's own name is at fault, or the path, or a header)."""
    if field is None:
        return InvalidInput(unnamed)
    # Translators: {field} is the name of the input field at fault (e.g. 'item_id').
    message = Text(
        "'{field}' contains a character that is not allowed "
        "(a NUL character, an unpaired surrogate or bytes that are not UTF-8).",
        field=field,
    )
    return InvalidInput(message, field=field)


def _field_names_in(where: Literal["form", "query string"]) -> Text:
    if where == "form":
        return Text(
            "A field name in the form contains a character that is not allowed "
            "(a NUL character, an unpaired surrogate or bytes that are not UTF-8)."
        )
    return Text(
        "A field name in the query string contains a character that is not allowed "
        "(a NUL character, an unpaired surrogate or bytes that are not UTF-8)."
    )


_IN_BODY = Text(
    "The body contains a character that is not allowed "
    "(a NUL character, an unpaired surrogate or bytes that are not UTF-8)."
)
_IN_BODY_KEY = Text(
    "A key in the body contains a character that is not allowed "
    "(a NUL character, an unpaired surrogate or bytes that are not UTF-8)."
)
_IN_PATH = Text(
    "The path contains a character that is not allowed "
    "(a NUL character, an unpaired surrogate or bytes that are not UTF-8)."
)


def check_pairs(pairs: Iterable[tuple[str, str]], where: Literal["form", "query string"]) -> None:
    """Raises InvalidInput for the first name or value in `pairs` holding forbidden text."""
    for name, value in pairs:
        if has_forbidden_text(name):
            raise _refuse(None, _field_names_in(where))
        if has_forbidden_text(value):
            raise _refuse(name, _field_names_in(where))


def _check_json_strings(body: dict[str, Any]) -> None:
    """Every key and string in `body`, however deep; names the top-level field at fault."""
    stack: list[tuple[str | None, Any]] = [(None, body)]
    while stack:
        field, value = stack.pop()
        if isinstance(value, str):
            if has_forbidden_text(value):
                raise _refuse(field, _IN_BODY)
        elif isinstance(value, dict):
            for key, item in value.items():
                if has_forbidden_text(key):
                    raise _refuse(field, _IN_BODY_KEY)
                stack.append((field or key, item))
        elif isinstance(value, list):
            stack.extend((field, item) for item in value)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400: JSON has no infinity
        raise ValueError("number out of range")
    return number


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's parser accepts NaN and Infinity


def json_body() -> dict[str, Any]:
    """The request's JSON object; raises BadRequest when the body is not a JSON object of text
    PostgreSQL can hold (UTF-8, no NUL, no unpaired surrogate)."""
    if not request.is_json:
        raise BadRequest(
            Text("Send a JSON body with Content-Type: application/json."), code="not_json"
        )
    try:
        text = request.get_data(cache=True).decode("utf-8")  # RFC 8259: JSON travels as UTF-8
    except UnicodeDecodeError:
        raise InvalidInput(Text("The request body is not valid UTF-8 text.")) from None
    try:
        body = json.loads(text, parse_float=_finite, parse_constant=_no_constants)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        body = None
    if not isinstance(body, dict):
        raise BadRequest(Text("The request body must be a JSON object."), code="invalid_json")
    _check_json_strings(body)
    return body


def query_int(name: str, *, default: int, minimum: int, maximum: int) -> int:
    """An integer query parameter within bounds, or the default when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidField(_not_whole(name), field=name) from None
    if not minimum <= value <= maximum:
        # Translators: {name} is a query parameter's name; {minimum} and {maximum} numbers.
        message = Text(
            "'{name}' must be between {minimum} and {maximum}.",
            name=name,
            minimum=minimum,
            maximum=maximum,
        )
        raise InvalidField(message, field=name)
    return value


def required_int(value: Any, name: str) -> int:
    """`value` as a positive integer id (from JSON or a form field)."""
    if value is None or value == "":
        raise MissingField(_required(name), field=name)
    if isinstance(value, bool):
        raise InvalidField(_not_whole(name), field=name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidField(_not_whole(name), field=name) from None
    if isinstance(value, float) and value != number:
        raise InvalidField(_not_whole(name), field=name)
    if not 1 <= number <= 2**63 - 1:
        raise InvalidField(Text("'{name}' is out of range.", name=name), field=name)
    return number


def _required(name: str) -> Text:
    # Translators: {name} is the name of an input field, e.g. 'item_id'.
    return Text("'{name}' is required.", name=name)


def _not_whole(name: str) -> Text:
    # Translators: {name} is the name of an input field, e.g. 'item_id'.
    return Text("'{name}' must be a whole number.", name=name)


def required_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """`value` if it is one of `choices`."""
    if value is None or value == "":
        raise MissingField(_required(name), field=name)
    if value not in choices:
        # Translators: {name} is an input field's name; {choices} its accepted values.
        message = Text("'{name}' must be one of: {choices}.", name=name, choices=", ".join(choices))
        raise InvalidField(message, field=name)
    return str(value)


def idempotency_key(value: Any) -> str:
    """A client-made idempotency key: 8-100 characters of letters, digits, '-' and '_'."""
    if value is None or value == "":
        raise MissingField(_required("idempotency_key"), field="idempotency_key")
    if not isinstance(value, str) or not _IDEMPOTENCY_KEY.fullmatch(value):
        raise InvalidField(
            Text("'idempotency_key' must be 8-100 letters, digits, '-' or '_'."),
            field="idempotency_key",
        )
    return value


def parse_uuid(value: str, what: Literal["recording", "contribution"]) -> uuid.UUID:
    """A UUID from a path or body; an unparsable one is simply not found."""
    from app.errors import NotFound

    try:
        return uuid.UUID(str(value))
    except ValueError:
        if what == "recording":
            message = Text("No recording with id '{id}'.", id=value)
        else:
            message = Text("No contribution with id '{id}'.", id=value)
        raise NotFound(message, code=f"unknown_{what}") from None


# Form fields: werkzeug decodes each part's bytes with errors="replace", which would turn bytes
# that are not UTF-8 into U+FFFD silently. Decoding them with surrogateescape instead keeps the
# fault visible to the one check above.
_ESCAPING_UTF8 = "crowdsource_utf8_surrogateescape"


def _find_codec(name: str) -> codecs.CodecInfo | None:
    if name != _ESCAPING_UTF8:
        return None
    utf8 = codecs.lookup("utf-8")

    def decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
        return codecs.utf_8_decode(data, "surrogateescape", True)

    return codecs.CodecInfo(utf8.encode, decode, name=_ESCAPING_UTF8)  # type: ignore[arg-type]


codecs.register(_find_codec)


class _EscapingMultiPartParser(MultiPartParser):
    def get_part_charset(self, headers: Headers) -> str:
        charset = super().get_part_charset(headers)
        return _ESCAPING_UTF8 if charset == "utf-8" else charset


class _CheckedFormDataParser(FormDataParser):
    """werkzeug's parser with the escaping part decoder. Still silent: a body that cannot be
    read as a form (no boundary, broken parts, a part header that is not UTF-8) gives an empty
    form, which the route refuses as 400 missing_field."""

    def _parse_multipart(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> Any:
        parser = _EscapingMultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
        )
        boundary = options.get("boundary", "").encode("ascii", "replace")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class CheckedRequest(Request):
    """Flask's request, whose form is checked for forbidden text as it is parsed (by whoever
    reads it first)."""

    form_data_parser_class = _CheckedFormDataParser

    def _load_form_data(self) -> None:
        super()._load_form_data()
        check_pairs(self.form.items(multi=True), "form")
        for name, upload in self.files.items(multi=True):
            check_pairs([(name, upload.filename or "")], "form")


def _raw(environ_value: str) -> str:
    """A WSGI environ string (bytes as latin-1) decoded as UTF-8, faults kept as surrogates."""
    return environ_value.encode("latin-1", "replace").decode("utf-8", "surrogateescape")


def _path_field(path: str) -> str | None:
    """The name of the route variable (e.g. `code`) whose segment of `path` is at fault."""
    rule = request.url_rule.rule if request.url_rule else None
    if rule is None:
        return None
    for segment, pattern in zip(path.split("/"), rule.split("/"), strict=False):
        if has_forbidden_text(segment) and pattern.startswith("<"):
            return pattern.strip("<>").rsplit(":", 1)[-1]
    return None


def refuse_hostile_request() -> None:
    """Before each request: raises InvalidInput for forbidden text in the path, the query
    string or a header (the Cookie header included)."""
    if request.blueprint in _UNGUARDED_BLUEPRINTS:
        return
    path = _raw(request.environ.get("PATH_INFO", ""))
    if has_forbidden_text(path):
        field = _path_field(path)
        raise _refuse(field, _IN_PATH)
    query = _raw(request.environ.get("QUERY_STRING", ""))
    check_pairs(
        parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="surrogateescape"),
        "query string",
    )
    for name, value in request.headers.items():
        if "\x00" in value:
            # Translators: {header} is the name of an HTTP header, e.g. User-Agent.
            message = Text(
                "The {header} header contains a character that is not allowed "
                "(a NUL character, an unpaired surrogate or bytes that are not UTF-8).",
                header=name,
            )
            raise _refuse(None, message)


def init_app(app: Flask) -> None:
    """Check every request's input for forbidden text (see the module's docstring)."""
    app.request_class = CheckedRequest
    app.before_request(refuse_hostile_request)
