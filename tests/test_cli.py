"""The `crowdsource` command, run as a user runs it: a subprocess with its own environment."""

from __future__ import annotations

import psycopg
import requests

from app.db.migrations import default_directory, discover
from tests.conftest import CLI, TEST_SECRET
from tests.live_server import free_port, stop, wait_ready


def assert_one_clear_line(result, *fragments: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("crowdsource: error: ")
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0]


def test_serve_on_embedded_defaults_comes_up_and_a_second_start_reuses_the_data(
    cli: CLI, tmp_path
) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    env = {"DATA_DIR": str(data_dir), "PORT": str(port), "WEB_CONCURRENCY": "1"}
    base = f"http://127.0.0.1:{port}"

    first = cli.start("serve", **env)
    try:
        ready = wait_ready(f"{base}/readyz", first)
        assert ready.json()["checks"] == {"database": "ok", "schema": "ok", "storage": "ok"}
        languages = requests.get(f"{base}/api/v1/languages", timeout=5).json()["languages"]
        counts = {lang["code"]: lang["sentence_count"] for lang in languages}
        assert counts["en"] >= 5 and counts["hi"] >= 5
        assert "हिन्दी" in requests.get(base, timeout=5).text
        manifest = requests.get(f"{base}/public/dashboard/manifest.json", timeout=5)
        assert manifest.status_code == 200 and manifest.json()["files"]["summary"]

        # Another command joins the same embedded server and leaves it running for `serve`.
        status = cli.run("migrate", "status", DATA_DIR=str(data_dir))
        assert status.returncode == 0 and "0001  applied" in status.stdout
        assert requests.get(f"{base}/readyz", timeout=5).status_code == 200
    finally:
        output = stop(first)
    assert "loaded" in output and "demo sentences" in output
    assert "loaded the demo items: 48 parallel, 20 audio, 20 image; " in output

    second = cli.start("serve", **env)
    try:
        wait_ready(f"{base}/readyz", second)
        again = requests.get(f"{base}/api/v1/languages", timeout=5).json()["languages"]
        assert {lang["code"]: lang["sentence_count"] for lang in again} == counts
    finally:
        output = stop(second)
    assert "demo sentences" not in output and "demo items" not in output
    assert (data_dir / "pgdata" / "PG_VERSION").exists()
    assert (data_dir / "storage").is_dir()


def test_migrate_commands_round_trip(cli: CLI, empty_database_url: str) -> None:
    env = {"DATABASE_URL": empty_database_url, "SECRET_KEY": TEST_SECRET}

    up = cli.run("migrate", "up", **env)
    assert up.returncode == 0, up.stderr
    assert "applied 0001_initial_schema" in up.stdout
    status = cli.run("migrate", "status", "--check", **env)
    assert status.returncode == 0 and "applied" in status.stdout
    down = cli.run("migrate", "down", "--all", "--yes", **env)
    assert down.returncode == 0 and "reverted 0001_initial_schema" in down.stdout
    assert cli.run("migrate", "status", "--check", **env).returncode == 3
    again = cli.run("migrate", "up", **env)
    assert again.returncode == 0 and "applied 0001_initial_schema" in again.stdout
    assert "up to date" in cli.run("migrate", "up", **env).stdout


def test_two_concurrent_migrate_processes_apply_each_step_once(
    cli: CLI, empty_database_url: str
) -> None:
    env = {"DATABASE_URL": empty_database_url, "SECRET_KEY": TEST_SECRET}
    processes = [cli.start("migrate", "up", **env) for _ in range(2)]
    outputs = [p.communicate(timeout=60)[0] for p in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    versions = [m.version for m in discover(default_directory())]
    for m in discover(default_directory()):
        assert sum(out.count(f"applied {m.label}") for out in outputs) == 1
    with psycopg.connect(empty_database_url) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in rows] == versions


def test_migrate_on_the_embedded_database_shares_the_server_with_other_commands(
    cli: CLI, tmp_path
) -> None:
    env = {"DATA_DIR": str(tmp_path / "data")}
    assert cli.run("migrate", "up", **env).returncode == 0
    status = cli.run("migrate", "status", **env)
    assert status.returncode == 0 and "0001  applied" in status.stdout


def test_a_malformed_database_url_is_one_clear_line(cli: CLI) -> None:
    result = cli.run("migrate", "status", DATABASE_URL="mysql://root@localhost/db")
    assert_one_clear_line(result, "DATABASE_URL", "postgresql://")


def test_an_unreachable_database_is_one_clear_line_without_the_password(cli: CLI) -> None:
    url = f"postgresql://app:hunter2@127.0.0.1:{free_port()}/speech"
    result = cli.run(
        "migrate", "up", DATABASE_URL=url, SECRET_KEY=TEST_SECRET, DB_CONNECT_TIMEOUT="2"
    )
    assert_one_clear_line(result, "cannot connect to the database")
    assert "hunter2" not in result.stderr


def test_an_unknown_storage_backend_is_one_clear_line(cli: CLI, tmp_path) -> None:
    result = cli.run("serve", DATA_DIR=str(tmp_path / "d"), STORAGE_BACKEND="ftp")
    assert_one_clear_line(result, "STORAGE_BACKEND", "ftp")


def test_an_unreachable_bucket_is_one_clear_line(cli: CLI, database_url: str) -> None:
    result = cli.run(
        "serve",
        DATABASE_URL=database_url,
        SECRET_KEY=TEST_SECRET,
        STORAGE_BACKEND="s3",
        BUCKET_NAME="recordings",
        S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION="us-east-1",
    )
    assert_one_clear_line(result, "recordings")


def test_dotenv_in_the_working_directory_is_read(cli: CLI) -> None:
    (cli.cwd / ".env").write_text("STORAGE_BACKEND=carrier-pigeon\n")
    result = cli.run("migrate", "status")
    assert_one_clear_line(result, "STORAGE_BACKEND", "carrier-pigeon")


def test_languages_can_be_listed_opened_closed_and_capped(cli: CLI, database_url: str) -> None:
    env = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET}

    changed = cli.run(
        "languages", "set", "ta", "--closed", "--max-recordings", "5", "--goal-hours", "200", **env
    )
    listing = cli.run("languages", "list", **env)

    assert (
        changed.returncode == 0
        and "ta (Tamil): closed, 5 per sentence, goal 200 h" in changed.stdout
    )
    assert any(
        line.split() == ["ta", "Tamil", "Taml", "no", "5", "200"]
        for line in listing.stdout.splitlines()
    )
    assert_one_clear_line(cli.run("languages", "set", "xx", "--open", **env), "no language")
    assert_one_clear_line(
        cli.run("languages", "set", "hi", "--max-recordings", "0", **env), "1 and 100"
    )
