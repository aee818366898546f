"""A body the server hands over but cannot read (app/security/body_errors.py): the readers of
werkzeug's development server and of gunicorn, fed malformed chunked bodies, make the route
answer 400 invalid_input, never 500. (Under our gunicorn worker such a body never reaches the
app: tests/live/test_slow_clients.py.)"""

from __future__ import annotations

import io
import types
from typing import Any

from flask.testing import FlaskClient
from gunicorn.http.body import Body, ChunkedReader
from gunicorn.http.unreader import IterUnreader
from werkzeug.serving import DechunkedInput

JSON_CHUNKED = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}


def werkzeug_dev_server_input(raw: bytes) -> dict[str, Any]:
    """The environ werkzeug's development server gives for a chunked body."""
    return {"wsgi.input": DechunkedInput(io.BytesIO(raw)), "wsgi.input_terminated": True}


def gunicorn_input(raw: bytes) -> dict[str, Any]:
    """The environ gunicorn's gthread worker gives for a chunked body."""
    reader = ChunkedReader(types.SimpleNamespace(), IterUnreader([raw]))
    return {"wsgi.input": Body(reader), "wsgi.input_terminated": True}


def with_session(client: FlaskClient) -> FlaskClient:
    answer = client.post("/api/v1/session")
    assert answer.status_code in (200, 201, 404, 405), answer.get_data(as_text=True)
    return client


def test_a_bad_chunk_header_from_the_development_server_answers_400(client: FlaskClient) -> None:
    answer = with_session(client).put(
        "/api/v1/me/profile",
        headers=JSON_CHUNKED,
        environ_overrides=werkzeug_dev_server_input(b"zz\r\n{}\r\n0\r\n\r\n"),
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["error"]["code"] == "invalid_input"


def test_a_bad_chunk_from_gunicorns_reader_answers_400_on_an_upload(client: FlaskClient) -> None:
    answer = with_session(client).post(
        "/api/v1/recordings",
        headers={"Content-Type": "multipart/form-data; boundary=b", "Transfer-Encoding": "chunked"},
        environ_overrides=gunicorn_input(b"3\r\n--bxxxxx\r\n0\r\n\r\n"),
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["error"]["code"] == "invalid_input"


def test_a_chunked_body_cut_short_answers_400(client: FlaskClient) -> None:
    answer = with_session(client).put(
        "/api/v1/me/profile",
        headers=JSON_CHUNKED,
        environ_overrides=gunicorn_input(b"10\r\n{}"),
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["error"]["code"] == "invalid_input"


def test_a_well_formed_chunked_body_is_read_as_before(client: FlaskClient) -> None:
    for environ in (werkzeug_dev_server_input, gunicorn_input):
        answer = with_session(client).put(
            "/api/v1/me/profile",
            headers=JSON_CHUNKED,
            environ_overrides=environ(b"2\r\n{}\r\n0\r\n\r\n"),
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
