"""Fuzzing /api/v1 with schemathesis on a live gunicorn, every check on: whatever a client
sends, the answer is never a 5xx, always one the OpenAPI document describes (status, headers,
body), invalid input is refused, and input valid against the document is never refused as
malformed.

Schemathesis reads /api/v1/openapi.json from the running server and, for every operation,
sends schema-valid inputs and schema-invalid ones (wrong types, out-of-range numbers, strings
that break the patterns, missing and unexpected fields, random upload bytes). The client holds
a session (`POST /api/v1/session`, given to schemathesis as the `cs_id` API key), so writes get
past `401 no_session`; the `ignored_auth` check sends each write without it too and expects
the 401.

Every built-in check runs (schemathesis's default set: not_a_server_error, the conformance
checks, positive_data_acceptance, negative_data_rejection, missing_required_header,
ignored_auth, ...): a write without a session, or with a forged one, answers 401. A schema-
valid request may still be refused for the state of the data or for content no schema can
judge: a random UUID names no recording (404), the random bytes of an upload are not audio
(415) or not speech (422), a vote comes before the clip was heard (422 not_listened).
positive_data_acceptance is told which statuses each operation documents for such refusals, and
`no_valid_request_refused_as_malformed` below makes it exact: such a 4xx must carry one of the
codes of app.api.openapi.STATE_AND_CONTENT_CODES, never a code that says the request was
malformed (invalid_field, missing_field, invalid_input, ...).

Each operation x mode is one test of EXAMPLES cases (27 x 100 ≈ 2,700 requests, plus the
checks' own; a few minutes on 2 cores). Schemathesis's pytest plugin (`from_fixture`) does not
run under pytest 9 (it reads a node attribute pytest removed), so each test draws cases from
the operation's Hypothesis strategy itself, the way schemathesis documents for tests of one's
own.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from app.api.openapi import STATE_AND_CONTENT_CODES, openapi_document
from tests.conftest import _fresh_database
from tests.live.conftest import live_app_in
from tests.live_server import LiveApp

pytestmark = pytest.mark.slow

EXAMPLES = 100
DOC = openapi_document()

# The operations that end the fuzzing client's session, run last (the client has one session
# for the whole module): replacing the contributor key revokes it (later cases meet
# `session_revoked`, a state refusal), erasing the person's data removes it.
SESSION_ENDING = ("POST /api/v1/me/key/rotate", "DELETE /api/v1/me")
# (operation, mode): invalid input only where there is input to make invalid.
CASES = sorted(
    (
        pytest.param(f"{method.upper()} {path}", mode, id=f"{method.upper()} {path} {mode.value}")
        for path, methods in DOC["paths"].items()
        for method, operation in methods.items()
        for mode in GenerationMode
        if mode == GenerationMode.POSITIVE or {"parameters", "requestBody"} & set(operation)
    ),
    key=lambda case: (
        (SESSION_ENDING.index(case.values[0]) + 1) if case.values[0] in SESSION_ENDING else 0
    ),
)
# The refusals a schema-valid request may meet here: the fuzzing client holds a session
# (when the server issues them), so it is never without one.
TOLERATED = set(STATE_AND_CONTENT_CODES)
# What positive_data_acceptance accepts everywhere (its defaults).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def refusals_of_valid_input(operation: dict[str, Any]) -> list[str]:
    """The statuses at which this operation documents a state or content refusal."""
    return sorted(
        status
        for status, response in operation["responses"].items()
        if set(response.get("x-error-codes", ())) & STATE_AND_CONTENT_CODES
    )


@schemathesis.check
def no_valid_request_refused_as_malformed(
    ctx: Any, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A schema-valid request refused with 4xx must be refused for state or content."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if not 400 <= response.status_code < 500:
        return None
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    if code not in TOLERATED:
        raise AssertionError(
            f"A request valid against the document was refused as malformed: "
            f"{response.status_code} {code}: {response.text[:300]}"
        )
    return None


@pytest.fixture(scope="module")
def fuzzed_app(
    admin_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApp]:
    """One live server for the whole module: the cases of every operation share it."""
    databases = _fresh_database(admin_url, template_db)
    workdir: Path = tmp_path_factory.mktemp("fuzz")
    try:
        with live_app_in(workdir, next(databases)) as app:
            yield app
    finally:
        databases.close()


@pytest.fixture(scope="module")
def session_cookie(fuzzed_app: LiveApp) -> str | None:
    """A session for the fuzzing client (None before the session route existed)."""
    response = requests.post(f"{fuzzed_app.url}/api/v1/session", timeout=10)
    if response.status_code in (404, 405):
        return None
    assert response.status_code == 201, response.text
    TOLERATED.difference_update({"no_session", "invalid_session"})
    return str(response.cookies["cs_id"])


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: LiveApp, session_cookie: str | None) -> schemathesis.BaseSchema:
    """The document as the running server publishes it, with the checks configured."""
    operations = [
        {
            "include-name": f"{method.upper()} {path}",
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": sorted({*ACCEPTED, *refusals_of_valid_input(operation)})
                }
            },
        }
        for path, methods in DOC["paths"].items()
        for method, operation in methods.items()
    ]
    project: dict[str, Any] = {
        "base-url": fuzzed_app.url,
        "request-timeout": 15,
        "operations": operations,
    }
    if session_cookie is not None:
        project["auth"] = {"openapi": {"cs_id": {"api_key": session_cookie}}}
    config = SchemathesisConfig.from_dict(project)
    return schemathesis.openapi.from_url(
        f"{fuzzed_app.url}/api/v1/openapi.json", config=config, timeout=10
    )


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_no_input_makes_the_api_fail_or_answer_outside_its_document(
    api_schema: schemathesis.BaseSchema, operation: str, mode: GenerationMode
) -> None:
    method, path = operation.split(" ")
    found = api_schema[path][method]

    @given(case=found.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every run: a failure in CI reproduces here
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the failure says enough
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case: schemathesis.Case) -> None:
        case.call_and_validate(additional_checks=[no_valid_request_refused_as_malformed])

    answers_as_documented()


def test_a_malformed_chunked_body_answers_400(fuzzed_app: LiveApp) -> None:
    """Framing a client got wrong is its fault: a chunk size that is not hexadecimal."""
    host, port = fuzzed_app.url.removeprefix("http://").split(":")
    request = (
        b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.split()[1] == b"400", answer[:300]
