"""Reading and checking request input in routes; every problem becomes a 4xx JSON error."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import request

from app.errors import BadRequest, CrowdsourceError

_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,100}")


class InvalidField(CrowdsourceError):
    code = "invalid_field"
    http_status = 422


class MissingField(BadRequest):
    code = "missing_field"


def json_body() -> dict[str, Any]:
    """The request's JSON object; raises BadRequest when the body is not a JSON object."""
    if not request.is_json:
        raise BadRequest("Send a JSON body with Content-Type: application/json.", code="not_json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.", code="invalid_json")
    return body


def query_int(name: str, *, default: int, minimum: int, maximum: int) -> int:
    """An integer query parameter within bounds, or the default when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidField(f"'{name}' must be a whole number.", field=name) from None
    if not minimum <= value <= maximum:
        raise InvalidField(f"'{name}' must be between {minimum} and {maximum}.", field=name)
    return value


def required_int(value: Any, name: str) -> int:
    """`value` as a positive integer id (from JSON or a form field)."""
    if value is None or value == "":
        raise MissingField(f"'{name}' is required.", field=name)
    if isinstance(value, bool):
        raise InvalidField(f"'{name}' must be a whole number.", field=name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidField(f"'{name}' must be a whole number.", field=name) from None
    if isinstance(value, float) and value != number:
        raise InvalidField(f"'{name}' must be a whole number.", field=name)
    if not 1 <= number <= 2**63 - 1:
        raise InvalidField(f"'{name}' is out of range.", field=name)
    return number


def required_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """`value` if it is one of `choices`."""
    if value is None or value == "":
        raise MissingField(f"'{name}' is required.", field=name)
    if value not in choices:
        raise InvalidField(f"'{name}' must be one of: {', '.join(choices)}.", field=name)
    return str(value)


def idempotency_key(value: Any) -> str:
    """A client-made idempotency key: 8-100 characters of letters, digits, '-' and '_'."""
    if value is None or value == "":
        raise MissingField("'idempotency_key' is required.", field="idempotency_key")
    if not isinstance(value, str) or not _IDEMPOTENCY_KEY.fullmatch(value):
        raise InvalidField(
            "'idempotency_key' must be 8-100 letters, digits, '-' or '_'.", field="idempotency_key"
        )
    return value


def parse_uuid(value: str, what: str) -> uuid.UUID:
    """A UUID from a path or body; an unparsable one is simply not found."""
    from app.errors import NotFound

    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No {what} with id '{value}'.", code=f"unknown_{what}") from None
