"""Logs: one JSON line per request with the id the response carried; no personal data; an
unexpected error is logged by type and place, never with its message."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.logs import JsonFormatter
from tests.api.conftest import record
from tests.conftest import TEST_SECRET


@pytest.fixture
def lines(caplog: pytest.LogCaptureFixture):
    """The log lines written so far, as the server writes them (JSON)."""
    caplog.set_level(logging.INFO)
    formatter = JsonFormatter()
    return lambda: [json.loads(formatter.format(r)) for r in caplog.records]


def test_each_request_is_one_json_line_with_the_id_of_the_response(person, add_sentences, lines):
    (item,) = add_sentences(1)
    speaker, voter = person(), person()
    speaker.put("/api/v1/me/profile", json={"display_name": "Asha Devi"})
    recording = record(speaker, item)
    response = voter.post(f"/api/v1/recordings/{recording}/votes", json={"verdict": "accept"})

    requests = [line for line in lines() if line["logger"] == "crowdsource.request"]
    requests = [r for r in requests if r["route"] != "/api/v1/session"]  # the two sessions
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("PUT", "/api/v1/me/profile", 200),
        ("POST", "/api/v1/recordings", 201),
        ("POST", "/api/v1/recordings/<public_id>/votes", 201),
    ]
    assert requests[-1]["request_id"] == response.headers["X-Request-ID"]
    assert all(r["duration_ms"] >= 0 for r in requests)
    # the speaker's two requests carry the same pseudonym, which is not their id
    assert requests[0]["contributor"] == requests[1]["contributor"] != requests[2]["contributor"]
    text = json.dumps(lines())
    assert "Asha" not in text and "127.0.0.1" not in text and recording not in text


def test_an_unexpected_error_is_logged_by_place_without_its_message(
    app: Flask, client: FlaskClient, lines, monkeypatch
):
    import app.languages.views as views

    def broken(*args, **kwargs):
        raise RuntimeError(f"SELECT secret FROM t WHERE password = '{TEST_SECRET}'")

    monkeypatch.setattr(views, "active_languages", broken)
    response = client.get("/api/v1/languages")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    errors = [line for line in lines() if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["message"].startswith("unhandled RuntimeError at ")
    assert errors[0]["request_id"] == response.headers["X-Request-ID"]
    text = json.dumps(lines()) + response.get_data(as_text=True)
    assert "SELECT" not in text and TEST_SECRET not in text and "Traceback" not in text
