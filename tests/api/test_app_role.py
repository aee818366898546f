"""The app's least-privilege role (app/db/roles.py, `crowdsource db grant-app-role`): the web
app works through the HTTP API logged in as it, and it cannot change the schema, empty a
table, read passwords or make roles. The owner (here the embedded server's superuser) makes it
the way the migration Job does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest
from flask import Flask
from psycopg import sql

from app import create_app
from app.db.roles import RoleRefused, grant_app_role
from app.settings import Settings
from tests.api.conftest import new_person, record

PASSWORD = "app-role-password-SENTINEL-4d2e"


def url_as(url: str, role: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(url)
    params["user"] = role
    return psycopg.conninfo.make_conninfo("", **params)


@pytest.fixture
def role(database_url: str) -> Iterator[str]:
    """A fresh role name (roles are shared by every database of the server), dropped after."""
    name = f"app_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


@pytest.fixture
def role_url(database_url: str, role: str) -> str:
    assert grant_app_role(database_url, role, PASSWORD).created
    return url_as(database_url, role)


@pytest.fixture
def app(settings: Settings, role_url: str) -> Iterator[Flask]:
    """The web app logged in as the app role, as the web pods are."""
    app = create_app(replace(settings, database_url=role_url), database_url=role_url)
    app.config["TESTING"] = True
    yield app
    app.extensions["crowdsource.db"].close()


def test_the_web_app_records_and_validates_logged_in_as_the_app_role(app, role, db) -> None:
    # Arranged by the owner: sentences to read (ingest is an operator's command).
    db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', 'वाक्य एक')"
    )
    speaker = new_person(app)  # POST /api/v1/session
    response = speaker.get("/api/v1/languages/hi/sentences?count=5")
    assert response.status_code == 200, response.get_json()
    (sentence,) = response.get_json()["sentences"]
    recording = record(speaker, sentence["id"])  # upload: storage, then the contribution row
    for voter in (new_person(app), new_person(app)):
        clips = voter.get("/api/v1/languages/hi/clips?count=5").get_json()["clips"]
        assert [c["id"] for c in clips] == [recording]
        vote = voter.post(f"/api/v1/recordings/{recording}/votes", json={"verdict": "accept"})
        assert vote.status_code == 201, vote.get_json()
    row = db.execute("SELECT status, accept_count FROM contributions").fetchone()
    assert (row["status"], row["accept_count"]) == ("accepted", 2)
    with app.extensions["crowdsource.db"].connection() as conn:
        assert conn.execute("SELECT current_user AS who").fetchone()["who"] == role


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE validations",
        "ALTER TABLE contributions ADD COLUMN x int",
        "TRUNCATE validations",
        "CREATE TABLE mine (id int)",
        "SELECT rolpassword FROM pg_authid",
        "CREATE ROLE another LOGIN",
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ('9999', 'x', 'x')",
        "DELETE FROM schema_migrations",
        "REFRESH MATERIALIZED VIEW dashboard_daily",
        "ALTER FUNCTION contribution_verdict(bigint, bigint, integer) OWNER TO CURRENT_USER",
    ],
)
def test_the_app_role_cannot_change_the_schema_or_read_passwords(role_url, statement) -> None:
    with psycopg.connect(role_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_the_app_role_reads_and_writes_rows(role_url, db) -> None:
    with psycopg.connect(role_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', 'x')"
        )
        conn.execute("UPDATE dataset_rows SET text = 'y' WHERE text = 'x'")
        conn.execute("DELETE FROM dataset_rows WHERE text = 'y'")
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] > 0
        assert conn.execute("SELECT contribution_verdict(2, 0, 2)").fetchone() == ("accepted",)


def test_objects_of_later_migrations_are_covered_without_granting_again(role_url, db) -> None:
    db.execute("CREATE TABLE later_table (id bigint GENERATED ALWAYS AS IDENTITY, note text)")
    db.execute("CREATE FUNCTION later_fn() RETURNS int LANGUAGE sql AS 'SELECT 7'")
    with psycopg.connect(role_url, autocommit=True) as conn:
        conn.execute("INSERT INTO later_table (note) VALUES ('ok')")
        assert conn.execute("SELECT note FROM later_table").fetchone() == ("ok",)
        assert conn.execute("SELECT later_fn()").fetchone() == (7,)
        for statement in ("TRUNCATE later_table", "DROP TABLE later_table"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_granting_twice_updates_the_role_and_keeps_its_rights(database_url, role, db) -> None:
    assert grant_app_role(database_url, role, PASSWORD).created is True
    again = grant_app_role(database_url, role, "a-new-password-after-rotation")
    assert again.created is False
    rights = db.execute(
        "SELECT has_table_privilege(%(r)s, 'validations', 'INSERT') AS insert_votes,"
        " has_table_privilege(%(r)s, 'validations', 'TRUNCATE') AS truncate_votes,"
        " has_table_privilege(%(r)s, 'schema_migrations', 'INSERT') AS insert_migrations,"
        " has_schema_privilege(%(r)s, 'public', 'CREATE') AS create_in_public",
        {"r": role},
    ).fetchone()
    assert rights == {
        "insert_votes": True,
        "truncate_votes": False,
        "insert_migrations": False,
        "create_in_public": False,
    }


def test_the_password_is_stored_as_a_scram_verifier_never_as_text(database_url, role, db) -> None:
    grant_app_role(database_url, role, PASSWORD)
    stored = db.execute(
        "SELECT rolpassword, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin"
        " FROM pg_authid WHERE rolname = %s",
        (role,),
    ).fetchone()
    assert stored["rolpassword"].startswith("SCRAM-SHA-256$")
    assert PASSWORD not in stored["rolpassword"]
    assert (stored["rolsuper"], stored["rolcreaterole"], stored["rolcreatedb"]) == (False,) * 3
    assert stored["rolcanlogin"] is True


@pytest.mark.parametrize(
    "name", ['app"; DROP TABLE validations; --', "App", "1app", "", "a" * 64, "app-role"]
)
def test_a_role_name_that_is_not_a_plain_identifier_is_refused(database_url, name) -> None:
    with pytest.raises(RoleRefused, match="not a plain role name"):
        grant_app_role(database_url, name, PASSWORD)


def test_the_owner_and_powerful_roles_are_refused(database_url, role, db) -> None:
    with pytest.raises(RoleRefused, match="is the owner"):
        grant_app_role(database_url, "postgres", PASSWORD)
    db.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(sql.Identifier(role)))
    with pytest.raises(RoleRefused, match="powers beyond the app's"):
        grant_app_role(database_url, role, PASSWORD)
    db.execute(sql.SQL("ALTER ROLE {} NOCREATEDB").format(sql.Identifier(role)))
    db.execute(sql.SQL("GRANT pg_read_all_data TO {}").format(sql.Identifier(role)))
    with pytest.raises(RoleRefused, match="member of pg_read_all_data"):
        grant_app_role(database_url, role, PASSWORD)
    with pytest.raises(RoleRefused, match="needs a password"):
        grant_app_role(database_url, "app_other", "")


def test_a_login_without_createrole_is_refused_with_one_line(role_url) -> None:
    # The app role itself is such a login: it may neither make roles nor grant on the tables.
    with pytest.raises(RoleRefused, match=r"the login may not do this .*permission denied"):
        grant_app_role(role_url, "app_other", PASSWORD)


def test_the_command_reads_the_password_from_the_environment(cli, database_url, role, db) -> None:
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "k" * 32}
    refused = cli.run("db", "grant-app-role", "--role", role, **env)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"crowdsource: error: DB_APP_PASS is not set: it holds the password of role {role}"
    )
    first = cli.run("db", "grant-app-role", "--role", role, DB_APP_PASS=PASSWORD, **env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"role {role} created")
    second = cli.run("db", "grant-app-role", "--role", role, DB_APP_PASS=PASSWORD, **env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(f"role {role} updated")
    bad = cli.run("db", "grant-app-role", "--role", "Bad-Name", DB_APP_PASS=PASSWORD, **env)
    assert bad.returncode == 2 and "not a plain role name" in bad.stderr
