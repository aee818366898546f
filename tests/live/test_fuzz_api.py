"""Fuzzing /api/v1 with schemathesis on a live gunicorn: whatever a client sends, the answer is
never a 5xx and always one the OpenAPI document describes (status, headers and body).

Schemathesis reads /api/v1/openapi.json from the running server and, for every operation,
sends schema-valid inputs and schema-invalid ones (wrong types, out-of-range numbers, strings
that break the patterns, missing and unexpected fields, random cookies, random upload bytes).
Each operation x mode is one test of EXAMPLES cases: about 26 x 120 ≈ 3,000 requests.

Schemathesis's own pytest plugin (`from_fixture`) does not run under pytest 9 (it reads a
node attribute pytest removed), so each test draws cases from the operation's Hypothesis
strategy itself, the way schemathesis documents for tests of one's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from app.api.openapi import openapi_document
from tests.conftest import _fresh_database
from tests.live.conftest import live_app_in
from tests.live_server import LiveApp

EXAMPLES = 120

# What every answer must satisfy. positive_data_acceptance is left out on purpose: a
# schema-valid upload of random bytes is rightly refused (415 not_audio), and so is a
# well-formed id that names nothing (404).
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
]

# (operation, mode): invalid input only where there is input to make invalid.
CASES = [
    pytest.param(f"{method.upper()} {path}", mode, id=f"{method.upper()} {path} {mode.value}")
    for path, methods in openapi_document()["paths"].items()
    for method, operation in methods.items()
    for mode in GenerationMode
    if mode == GenerationMode.POSITIVE or {"parameters", "requestBody"} & set(operation)
]


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
def api_schema(fuzzed_app: LiveApp) -> schemathesis.BaseSchema:
    """The document as the running server publishes it."""
    config = SchemathesisConfig()
    config.projects.default.update(base_url=fuzzed_app.url, request_timeout=15)
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
        case.call_and_validate(checks=CHECKS)

    answers_as_documented()
