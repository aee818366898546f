"""What an SRE sees of a live gunicorn (two workers): after a scripted journey through the API,
/metrics (added up over both workers) shows the matching counters and histograms, and every
request left one JSON log line carrying the id its response header gave."""

from __future__ import annotations

import json
import uuid

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SAMPLE_AUDIO
from tests.live_server import LiveApp, listen, new_session


def upload(session: requests.Session, url: str, item_id: int, audio: bytes) -> requests.Response:
    return session.post(
        f"{url}/api/v1/recordings",
        data={"item_id": str(item_id), "idempotency_key": uuid.uuid4().hex},
        files={"audio": ("take.wav", audio, "audio/wav")},
        timeout=60,
    )


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics by (name, sorted labels)."""
    response = requests.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_journey_shows_in_the_metrics_of_both_workers(live_app: LiveApp) -> None:
    url = live_app.url
    sentences = requests.get(f"{url}/api/v1/languages/hi/sentences?count=3", timeout=10).json()
    items = [int(s["id"]) for s in sentences["sentences"]]
    speaker = new_session(url)
    speech = (SAMPLE_AUDIO / "hi_1.wav").read_bytes()
    recorded = [upload(speaker, url, item, speech) for item in items[:2]]
    assert [r.status_code for r in recorded] == [201, 201]
    refused = upload(speaker, url, items[2], b"these are not the sounds of speech\n" * 200)
    assert refused.status_code == 415
    public_id = recorded[0].json()["recording"]["id"]
    validators = [new_session(url), new_session(url)]
    listen(url, validators, public_id)
    for validator in validators:  # two people accept the first recording: it is decided
        vote = validator.post(
            f"{url}/api/v1/recordings/{public_id}/votes", json={"verdict": "accept"}, timeout=10
        )
        assert vote.status_code == 201, vote.text
    # many requests, so both workers answer some of them
    for _ in range(20):
        requests.get(f"{url}/api/v1/languages", timeout=10)

    samples = scrape(url)
    route = "/api/v1/recordings"
    assert value(samples, "crowdsource_http_requests_total", route=route, method="POST",
                 status="201") == 2  # fmt: skip
    assert value(samples, "crowdsource_http_requests_total", route="/api/v1/languages",
                 method="GET", status="200") == 20  # fmt: skip
    assert value(samples, "crowdsource_http_request_duration_seconds_count", route=route,
                 method="POST") == 3  # fmt: skip
    assert value(samples, "crowdsource_uploads_total", outcome="accepted", reason="") == 2
    assert value(samples, "crowdsource_uploads_total", outcome="refused", reason="not_audio") == 1
    assert value(samples, "crowdsource_votes_total", verdict="accept") == 2
    assert value(samples, "crowdsource_verdicts_total", status="accepted") == 1
    assert value(samples, "crowdsource_queue_clips_to_validate", language="hi") == 1
    assert value(samples, "crowdsource_queue_items_to_record", language="hi") > 0
    assert value(samples, "crowdsource_db_pool_connections", state="max") == 2 * 10  # 2 workers
    assert value(samples, "crowdsource_db_pool_wait_seconds_count") > 0
    assert value(samples, "crowdsource_storage_operation_duration_seconds_count",
                 operation="put") == 2  # fmt: skip
    assert value(samples, "crowdsource_http_requests_in_flight") >= 1  # the scrape itself


def test_every_request_leaves_one_json_line_with_the_id_of_its_response(
    live_app: LiveApp,
) -> None:
    ids = [
        requests.get(f"{live_app.url}{path}", timeout=10).headers["X-Request-ID"]
        for path in ("/api/v1/languages", "/no/such/page", "/speak/hi")
    ]
    lines = []
    for text in live_app.log_path.read_text().splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))  # every JSON-looking line parses
    by_id = {
        line.get("request_id"): line for line in lines if line["logger"] == "crowdsource.request"
    }
    assert [by_id[i]["status"] for i in ids] == [200, 404, 200]
    assert by_id[ids[0]]["route"] == "/api/v1/languages"
    assert all("duration_ms" in by_id[i] for i in ids)
