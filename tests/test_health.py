"""Probes and error answers: JSON always, 503 + Retry-After when a dependency is down."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

from app import create_app
from app.settings import Settings


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_healthz_answers_while_the_process_is_up(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_green_when_database_and_storage_answer(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "storage": "ok"},
    }


def test_readyz_is_red_with_a_reason_when_the_database_is_down(settings: Settings) -> None:
    url = f"postgresql://nobody:hunter2@127.0.0.1:{closed_port()}/nothing"
    app = create_app(replace(settings, db_connect_timeout=1), database_url=url)

    response = app.test_client().get("/readyz")

    body = response.get_json()
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert body["status"] == "unavailable"
    assert body["checks"]["storage"] == "ok"
    assert body["checks"]["database"] != "ok"
    assert "hunter2" not in response.get_data(as_text=True)


def test_api_answers_503_json_when_the_database_is_down(settings: Settings) -> None:
    url = f"postgresql://nobody@127.0.0.1:{closed_port()}/nothing"
    app = create_app(replace(settings, db_connect_timeout=1), database_url=url)

    response = app.test_client().get("/api/v1/languages")

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.get_json()["error"]["code"] == "database_unavailable"


def test_readyz_is_red_when_storage_is_unusable(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    app = create_app(replace(settings, storage_dir=blocker), database_url=database_url)

    response = app.test_client().get("/readyz")
    app.extensions["crowdsource.db"].close()

    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "ok"
    assert response.get_json()["checks"]["storage"] != "ok"


def test_unknown_routes_and_methods_answer_json(client) -> None:
    missing = client.get("/api/v1/nothing-here")
    wrong_method = client.delete("/api/v1/languages")

    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]


def test_languages_api_lists_the_languages_with_their_scripts(client, db) -> None:
    db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('ta', 'sentence', 'வணக்கம்')"
    )

    body = client.get("/api/v1/languages").get_json()
    languages = {lang["code"]: lang for lang in body["languages"]}

    assert languages["ta"]["native_name"] == "தமிழ்"
    assert languages["ta"]["sentence_count"] == 1
    assert languages["ur"]["direction"] == "rtl"


def test_home_page_lists_languages_in_their_own_script(client) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "हिन्दी" in page and 'dir="rtl"' in page
    assert "<script>" not in page
