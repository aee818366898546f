"""TLS to an external database, verified: the CA reaches every app pod and libpq checks the
server's certificate with it. The live tests take exactly what the stack renders (the
ConfigMap, the Secret, the CA ConfigMap and where the pods mount it), start a PostgreSQL that
speaks TLS with a certificate for `localhost`, and connect the way the app does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from app.db import check_database
from app.db.roles import grant_app_role
from app.errors import DatabaseUnavailable
from app.settings import load_settings
from infra.capture import Capture
from infra.config_values import ConfigError
from tests.infra.conftest import build_stack
from tests.infra.test_k8s_stack import CONFIG_MAP, CRON_JOB, DEPLOYMENT, JOB, SECRET, container
from tests.infra.tls_postgres import (
    Authority,
    TlsServer,
    make_authority,
    postgres_with_ssl,
    tls_postgres,
)

CA_DIR = "/etc/crowdsource/db-ca"


@pytest.fixture(scope="module")
def ca() -> Authority:
    return make_authority("Crowdsource test database CA")


def database(**values: Any) -> dict[str, Any]:
    return {
        "host": "db.example.internal", "name": "crowdsource", "user": "crowdsource",
        "sslmode": "verify-full", "cidrs": ["10.0.0.0/8"], **values,
    }  # fmt: skip


def pods(cap: Capture) -> dict[str, dict[str, Any]]:
    """The pod spec of each app workload."""
    job = cap.one(JOB).plain_inputs["spec"]["template"]["spec"]
    cron = cap.one(CRON_JOB).plain_inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    web = cap.one(DEPLOYMENT).plain_inputs["spec"]["template"]["spec"]
    return {"web": web, "migrate": job, "refresh": cron}


def test_the_ca_reaches_every_app_pod_read_only_and_libpq_is_told_where(ca):
    cap = build_stack("test", database=database(caCertificate=ca.pem))
    settings = cap.one(CONFIG_MAP, "-config").plain_inputs["data"]
    assert settings["DB_SSLMODE"] == "verify-full"
    assert settings["DB_SSLROOTCERT"] == f"{CA_DIR}/ca.crt"
    ca_map = cap.one(CONFIG_MAP, "-db-ca").plain_inputs
    assert ca_map["data"] == {"ca.crt": ca.pem}
    for kind, pod in pods(cap).items():
        (volume,) = [v for v in pod["volumes"] if v["name"] == "db-ca"]
        assert volume["configMap"]["name"] == ca_map["metadata"]["name"], kind
        for c in [*pod.get("initContainers", []), *pod["containers"]]:
            mount = {"name": "db-ca", "mountPath": CA_DIR, "readOnly": True}
            assert mount in c["volumeMounts"], f"{kind}/{c['name']}"
    # The Job waits for the CA as for its settings.
    assert cap.one(CONFIG_MAP, "-db-ca").urn in cap.one(JOB).dependencies


def test_prod_checks_the_server_against_the_image_system_cas():
    cap = build_stack("prod")
    settings = cap.one(CONFIG_MAP, "-config").plain_inputs["data"]
    assert settings["DB_SSLMODE"] == "verify-full"
    assert settings["DB_SSLROOTCERT"] == "system"
    # psycopg's wheel has its own OpenSSL whose default CA file the image lacks.
    assert settings["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"
    assert [r for r in cap.of_type(CONFIG_MAP) if r.name.endswith("-db-ca")] == []


def test_without_tls_settings_nothing_about_a_ca_is_rendered():
    cap = build_stack("test")  # sslmode require: encrypted, the certificate not checked
    settings = cap.one(CONFIG_MAP, "-config").plain_inputs["data"]
    assert "DB_SSLROOTCERT" not in settings and "SSL_CERT_FILE" not in settings
    assert all("db-ca" not in str(pod["volumes"]) for pod in pods(cap).values())


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "crowdsource:database.caCertificate: sslmode verify-full checks the server's"),
        ({"sslmode": "verify-ca"}, "crowdsource:database.caCertificate: sslmode verify-ca"),
        ({"caCertificate": "not a certificate"}, "crowdsource:database.caCertificate: expected"),
        ({"sslrootcert": "/etc/ca.pem"}, "crowdsource:database.sslrootcert: '/etc/ca.pem'"),
        (
            {"sslmode": "require", "sslrootcert": "system"},
            "crowdsource:database.sslrootcert: `system` needs sslmode verify-full",
        ),
        ({"sslmode": "verify"}, "crowdsource:database.sslmode: 'verify' is not one of"),
        ({"sslrootcert": "system", "appUser": "App-User"}, "crowdsource:database.appUser:"),
    ],
)
def test_a_verifying_sslmode_without_a_ca_stops_with_the_key_named(values, message):
    with pytest.raises(ConfigError) as caught:
        build_stack("prod", database=database(**values))
    assert str(caught.value).startswith(message)


# ---- live: the rendered settings against a PostgreSQL that speaks TLS ----------------------


def rendered_environment(cap: Capture, root: Path) -> dict[str, str]:
    """The web pod's environment as the stack renders it, with the files its volumes hold
    written under `root` (a mount path /x/y becomes root/x/y) and the paths in the settings
    mapped the same way."""
    web = container(cap.one(DEPLOYMENT))
    assert [list(source) for source in web["envFrom"]] == [["configMapRef"], ["secretRef"]]
    env = dict(cap.one(CONFIG_MAP, "-config").plain_inputs["data"])
    env |= cap.one(SECRET, "-secrets").plain_inputs["stringData"]
    assert "env" not in web
    volumes = {v["name"]: v for v in pods(cap)["web"]["volumes"]}
    for mount in web["volumeMounts"]:
        source = volumes[mount["name"]].get("configMap")
        if source is None:
            continue
        (data_map,) = [r for r in cap.of_type(CONFIG_MAP) if r.name.endswith(source["name"])]
        folder = root / mount["mountPath"].lstrip("/")
        folder.mkdir(parents=True, exist_ok=True)
        for key, text in data_map.plain_inputs["data"].items():
            (folder / key).write_text(text)
    for name in ("HOME", "DB_SSLROOTCERT", "SSL_CERT_FILE"):
        if env.get(name, "").startswith("/"):
            env[name] = str(root / env[name].lstrip("/"))
    (root / env["HOME"].lstrip("/")).mkdir(parents=True, exist_ok=True)
    return env


def as_the_pod(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> str:
    """Makes `env` this process's environment for libpq (HOME, SSL_CERT_FILE) and returns the
    database URL the app builds from it (app.settings)."""
    for name in list(os.environ):
        if name.startswith("PG") or name in ("DATABASE_URL", "SSL_CERT_FILE", "SSL_CERT_DIR"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    url = load_settings().database_url
    assert url is not None
    return url


def connect_as_the_app(url: str) -> dict[str, Any]:
    """What the app does first (check_database), then who and how we are connected."""
    check_database(url)
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT current_user, ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return {"user": row[0], "ssl": row[1], "tls": row[2]}


@pytest.fixture(scope="module")
def server(ca: Authority) -> Iterator[TlsServer]:
    bin_dir = postgres_with_ssl()
    if bin_dir is None:
        pytest.skip("no PostgreSQL built with SSL here (apt-get install postgresql)")
    with tls_postgres(bin_dir, ca, "localhost") as running:
        yield running


def stack_for(server: Any, **values: Any) -> Capture:
    """The test stack pointed at the local server, where its app role is made with the rendered
    password by the migration Job's command (app.db.roles), connected as the owner."""
    local = {"host": "localhost", "port": server.port, "cidrs": ["127.0.0.1/32"]}
    cap = build_stack("test", database=database(**local, **values))
    password = cap.one(SECRET, "-secrets").plain_inputs["stringData"]["DB_PASS"]
    user = cap.one(CONFIG_MAP, "-config").plain_inputs["data"]["DB_USER"]
    name = cap.one(CONFIG_MAP, "-config").plain_inputs["data"]["DB_NAME"]
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    owner_url = psycopg.conninfo.make_conninfo(server.admin_url, dbname=name)
    grant_app_role(owner_url, user, password)
    return cap


def test_verify_full_connects_with_exactly_the_rendered_settings(server, ca, tmp_path, monkeypatch):
    cap = stack_for(server, caCertificate=ca.pem)
    url = as_the_pod(monkeypatch, rendered_environment(cap, tmp_path))
    assert "sslmode=verify-full" in url and f"sslrootcert={tmp_path}{CA_DIR}/ca.crt" in url
    assert connect_as_the_app(url) == {"user": "crowdsource_app", "ssl": True, "tls": "TLSv1.3"}


def test_without_the_ca_libpq_looks_under_home_and_refuses(server, ca, tmp_path, monkeypatch):
    # What the prod stack rendered before: verify-full, HOME=/tmp, no CA anywhere.
    env = rendered_environment(stack_for(server, caCertificate=ca.pem), tmp_path)
    del env["DB_SSLROOTCERT"]
    url = as_the_pod(monkeypatch, env)
    with pytest.raises(DatabaseUnavailable) as caught:
        check_database(url)
    expected = f'root certificate file "{tmp_path}/tmp/.postgresql/root.crt" does not exist'
    assert expected in str(caught.value)


def test_a_wrong_ca_fails_verification(server, ca, tmp_path, monkeypatch):
    other = make_authority("Someone else's CA")
    url = as_the_pod(
        monkeypatch, rendered_environment(stack_for(server, caCertificate=other.pem), tmp_path)
    )
    with pytest.raises(DatabaseUnavailable, match="certificate verify failed"):
        check_database(url)


def test_verify_full_checks_the_host_name(server, ca, tmp_path, monkeypatch):
    cap = stack_for(server, caCertificate=ca.pem)
    env = rendered_environment(cap, tmp_path) | {"DB_HOST": "127.0.0.1"}
    url = as_the_pod(monkeypatch, env)
    with pytest.raises(DatabaseUnavailable) as caught:
        check_database(url)
    message = str(caught.value)
    assert 'server certificate for "localhost"' in message
    assert 'does not match host name "127.0.0.1"' in message


def test_system_cas_work_only_with_the_rendered_ca_file(server, ca, tmp_path, monkeypatch):
    # The image's system store stands in as a bundle holding our CA, where SSL_CERT_FILE says.
    cap = stack_for(server, sslrootcert="system")
    env = rendered_environment(cap, tmp_path)
    assert env["DB_SSLROOTCERT"] == "system"
    bundle = Path(env["SSL_CERT_FILE"])
    bundle.parent.mkdir(parents=True)
    bundle.write_text(make_authority("Another public CA").pem + ca.pem)
    url = as_the_pod(monkeypatch, env)
    assert connect_as_the_app(url)["ssl"] is True
    # Without SSL_CERT_FILE, psycopg's own OpenSSL looks in a folder the image does not have.
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(DatabaseUnavailable, match="certificate verify failed"):
        check_database(url)
