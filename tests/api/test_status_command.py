"""`crowdsource status` prints the right numbers: on a fresh embedded install, and after people
recorded and voted through the API."""

from __future__ import annotations

import json

from tests.api.conftest import record
from tests.conftest import TEST_SECRET


def test_a_fresh_embedded_install_is_healthy_and_never_refreshed(cli, tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data")}
    assert cli.run("migrate", "up", **env).returncode == 0
    result = cli.run("status", **env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("database   ok    reachable; migrations at 0")
    assert "0 pending" in lines[0]
    assert lines[1].startswith("storage    ok    reachable (local:")
    assert lines[2] == "dashboard  WARN  never refreshed (run `crowdsource refresh`)"
    assert "0 recordings in the last hour, 0 in the last day" in result.stdout


def test_status_counts_what_people_did(cli, person, add_sentences, settings, database_url):
    items = add_sentences(4, language="hi")
    speaker = person()
    recordings = [record(speaker, item) for item in items[:3]]
    for _ in range(2):  # the first recording gets two accepts: it leaves the queue
        voter = person()
        voter.post(f"/api/v1/recordings/{recordings[0]}/votes", json={"verdict": "accept"})
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "STORAGE_DIR": str(settings.local_storage_dir),
    }
    assert cli.run("refresh", **env).returncode == 0

    result = cli.run("status", "--json", **env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["healthy"] is True
    assert [c["state"] for c in report["checks"]] == ["ok", "ok", "ok"]
    assert report["activity"] == {"last_hour": 3, "last_day": 3}
    hindi = next(q for q in report["queues"] if q["language"] == "hi")
    # 4 sentences under a cap of 3 recordings each; 2 recordings still wait for votes
    assert hindi == {"language": "hi", "to_record": 4, "to_validate": 2}

    text = cli.run("status", **env).stdout
    assert "3 recordings in the last hour, 3 in the last day" in text
    assert any(line.split() == ["hi", "4", "2"] for line in text.splitlines())


def test_status_fails_when_storage_is_unreachable_but_still_reports_the_rest(cli, database_url):
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "STORAGE_BACKEND": "s3",
        "BUCKET_NAME": "not-there",
        "S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
    }
    result = cli.run("status", timeout=120, **env)
    assert result.returncode == 1
    assert "storage    FAIL" in result.stdout
    assert "database   ok" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
