"""TLS to Cloud SQL as the gcp stacks render it, against a real server: a local PostgreSQL whose
certificate is made the way Cloud SQL's per-instance CA makes one (signed by a CA for that
instance alone, naming the instance, not the private IP the pods connect to), and libpq with
exactly the settings, Secret and CA file the stack renders for the web pods.

verify-ca connects as the app role; verify-full, given the same settings, fails on the host
name: that is why infra/gcp/database.py renders verify-ca (and pins the per-instance CA)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

import infra.gcp.mocks
from app.db import check_database
from app.db.roles import grant_app_role
from app.errors import DatabaseUnavailable
from infra.capture import Capture
from tests.infra.conftest import build_stack
from tests.infra.test_k8s_database_tls import as_the_pod, connect_as_the_app, rendered_environment
from tests.infra.tls_postgres import (
    Authority,
    TlsServer,
    make_authority,
    postgres_with_ssl,
    tls_postgres,
)

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
# Like Cloud SQL's server certificate: it names the instance (its CN is project:instance).
INSTANCE = "crowdsource-dev-project:crowdsource-gcp-dev-sql"
PRIVATE_IP = "127.0.0.1"  # stands in for the instance's private IP (10.30.0.3 in the mocks)


@pytest.fixture(scope="module")
def instance_ca() -> Authority:
    return make_authority("Google Cloud SQL Server CA (test stand-in)")


@pytest.fixture(scope="module")
def server(instance_ca: Authority) -> Iterator[TlsServer]:
    bin_dir = postgres_with_ssl()
    if bin_dir is None:
        pytest.skip("no PostgreSQL built with SSL here (apt-get install postgresql)")
    with tls_postgres(bin_dir, instance_ca, INSTANCE) as running:
        yield running


def gcp_dev_for(
    server: TlsServer, ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Capture, dict[str, Any]]:
    """gcp-dev with the instance's server CA set to `ca_pem`, its app role made on `server`
    with the rendered password (as the migration Job does), and the web pod's environment
    pointed at the server (DB_HOST/DB_PORT: the private IP and port it stands for)."""
    monkeypatch.setattr(infra.gcp.mocks, "SQL_SERVER_CA", ca_pem.strip())
    cap = build_stack("gcp-dev")
    data = cap.one(CONFIG_MAP, "-config").plain_inputs["data"]
    password = cap.one(SECRET, "-secrets").plain_inputs["stringData"]["DB_PASS"]
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (data["DB_NAME"],)
        ).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(data["DB_NAME"])))
    owner_url = psycopg.conninfo.make_conninfo(server.admin_url, dbname=data["DB_NAME"])
    grant_app_role(owner_url, data["DB_USER"], password)
    return cap, {"DB_HOST": PRIVATE_IP, "DB_PORT": str(server.port)}


def test_verify_ca_connects_to_the_instance_with_the_rendered_settings(
    server, instance_ca, tmp_path, monkeypatch
):
    cap, address = gcp_dev_for(server, instance_ca.pem, monkeypatch)
    env = rendered_environment(cap, tmp_path) | address
    assert env["DB_SSLMODE"] == "verify-ca"
    url = as_the_pod(monkeypatch, env)
    assert connect_as_the_app(url) == {"user": "crowdsource_app", "ssl": True, "tls": "TLSv1.3"}


def test_verify_full_would_fail_on_the_private_ip(server, instance_ca, tmp_path, monkeypatch):
    cap, address = gcp_dev_for(server, instance_ca.pem, monkeypatch)
    env = rendered_environment(cap, tmp_path) | address | {"DB_SSLMODE": "verify-full"}
    with pytest.raises(DatabaseUnavailable) as caught:
        check_database(as_the_pod(monkeypatch, env))
    assert f'does not match host name "{PRIVATE_IP}"' in str(caught.value)


def test_another_ca_is_refused(server, tmp_path, monkeypatch):
    # A server whose certificate another CA signed (another instance's, say) is not ours.
    other = make_authority("Another instance's CA")
    cap, address = gcp_dev_for(server, other.pem, monkeypatch)
    url = as_the_pod(monkeypatch, rendered_environment(cap, tmp_path) | address)
    with pytest.raises(DatabaseUnavailable, match="certificate verify failed"):
        check_database(url)
