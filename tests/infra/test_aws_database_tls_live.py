"""The aws stack's database settings against a real TLS PostgreSQL: libpq with exactly what
the stack renders (host, database, the app role and its password, sslmode verify-full, the RDS
bundle as sslrootcert) refuses a server whose certificate no Amazon RDS CA signed, and connects
when a CA of the bundle signed a certificate naming the instance. The RDS CAs' keys are AWS's,
so a CA made for the test stands in for one, appended to the rendered bundle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from infra.capture import Capture
from tests.infra.conftest import build_stack
from tests.infra.tls_postgres import (
    Authority,
    TlsServer,
    make_authority,
    postgres_with_ssl,
    tls_postgres,
)

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"


@pytest.fixture(scope="module")
def cap() -> Capture:
    return build_stack("aws-prod")


@pytest.fixture(scope="module")
def rds_stand_in() -> Authority:
    return make_authority("Amazon RDS ap-south-1 stand-in CA (test)")


def _settings(cap: Capture) -> dict[str, str]:
    return dict(cap.one(CONFIG_MAP, "crowdsource-config").plain_inputs["data"])


def _rendered_ca(cap: Capture) -> str:
    """The CA file the pods get: the key of the ConfigMap that sslrootcert points into."""
    key = _settings(cap)["DB_SSLROOTCERT"].rsplit("/", 1)[1]
    (data,) = [
        r.plain_inputs["data"]
        for r in cap.of_type(CONFIG_MAP)
        if r.name != "crowdsource-config" and key in (r.plain_inputs.get("data") or {})
    ]
    return str(data[key])


def _server(cap: Capture, ca: Authority, host: str) -> Iterator[TlsServer]:
    bin_dir = postgres_with_ssl()
    if bin_dir is None:
        pytest.skip("no PostgreSQL built with SSL here (apt-get install postgresql)")
    settings = _settings(cap)
    password = cap.one(SECRET, "crowdsource-secrets").plain_inputs["stringData"]["DB_PASS"]
    with tls_postgres(bin_dir, ca, host) as running:
        with psycopg.connect(running.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(settings["DB_USER"]), sql.Literal(password)
                )
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings["DB_NAME"])))
        yield running


@pytest.fixture(scope="module")
def instance(cap: Capture, rds_stand_in: Authority) -> Iterator[TlsServer]:
    """A server whose certificate names the RDS instance, signed by the stand-in CA."""
    yield from _server(cap, rds_stand_in, _settings(cap)["DB_HOST"])


@pytest.fixture(scope="module")
def elsewhere(cap: Capture, rds_stand_in: Authority) -> Iterator[TlsServer]:
    """A server with a certificate from the same CA for another name."""
    yield from _server(cap, rds_stand_in, "another-db.c9akciq32.ap-south-1.rds.amazonaws.com")


def _connect_as_the_pod(cap: Capture, server: TlsServer, ca_file: Path) -> tuple[str, bool]:
    """libpq with the rendered settings; only the address is the local server's (the name
    stays the instance's, and verify-full checks the certificate against it)."""
    settings = _settings(cap)
    password = cap.one(SECRET, "crowdsource-secrets").plain_inputs["stringData"]["DB_PASS"]
    with psycopg.connect(
        host=settings["DB_HOST"],
        hostaddr="127.0.0.1",
        port=server.port,
        dbname=settings["DB_NAME"],
        user=settings["DB_USER"],
        password=password,
        sslmode=settings["DB_SSLMODE"],
        sslrootcert=str(ca_file),
        connect_timeout=10,
    ) as conn:
        row = conn.execute(
            "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return str(row[0]), bool(row[1])


def test_the_rendered_bundle_refuses_a_server_no_rds_ca_signed(cap, instance, tmp_path):
    ca_file = tmp_path / "ca.crt"
    ca_file.write_text(_rendered_ca(cap))
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        _connect_as_the_pod(cap, instance, ca_file)


def test_the_rendered_settings_connect_to_the_instance_a_bundle_ca_signed(
    cap, instance, rds_stand_in, tmp_path
):
    ca_file = tmp_path / "ca.crt"
    ca_file.write_text(_rendered_ca(cap) + rds_stand_in.pem)
    assert _connect_as_the_pod(cap, instance, ca_file) == ("crowdsource_app", True)


def test_verify_full_refuses_a_certificate_for_another_name(cap, elsewhere, rds_stand_in, tmp_path):
    ca_file = tmp_path / "ca.crt"
    ca_file.write_text(_rendered_ca(cap) + rds_stand_in.pem)
    with pytest.raises(psycopg.OperationalError, match="does not match host name"):
        _connect_as_the_pod(cap, elsewhere, ca_file)
