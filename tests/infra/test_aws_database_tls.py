"""TLS to RDS is verified: the server certificate comes from a CA of AWS's RDS bundle, the bundle
is shipped with the program, and the app connects with sslmode verify-full."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from infra.aws import database
from infra.stacks import load_stack
from tests.infra.conftest import ROOT

STACKS = ["aws-dev", "aws-prod"]
RDS = "aws:rds/instance:Instance"


def _bundle() -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(database.ca_bundle().encode("ascii"))


def _common_name(certificate: x509.Certificate) -> str:
    return str(certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def _regions(name: str) -> set[str]:
    config = load_stack(ROOT, name).config
    copy = (config.get("crowdsource:rds") or {}).get("backupCopyRegion")
    return {config["aws:region"], *([copy] if copy else [])}


def test_the_bundle_is_the_vendored_file_unchanged():
    digest = hashlib.sha256(database.CA_BUNDLE_FILE.read_bytes()).hexdigest()
    assert digest == database.CA_BUNDLE_SHA256


def test_the_bundle_parses_and_holds_only_amazon_rds_certificates():
    certificates = _bundle()
    assert len(certificates) > 20
    assert all(_common_name(c).startswith("Amazon RDS ") for c in certificates)
    organisations = {
        str(c.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value)
        for c in certificates
    }
    assert organisations == {"Amazon Web Services, Inc."}


@pytest.mark.parametrize("name", STACKS)
def test_the_bundle_holds_the_root_of_every_region_the_stack_uses(name):
    """The instance's CA (rds-ca-rsa2048-g1) chains to its region's RSA 2048 G1 root; the
    backup copy's region is there too, for a restore there."""
    roots = {
        _common_name(c): c
        for c in _bundle()
        if c.issuer == c.subject and _common_name(c).endswith("Root CA RSA2048 G1")
    }
    for region in _regions(name):
        root = roots[f"Amazon RDS {region} Root CA RSA2048 G1"]
        assert root.not_valid_after_utc > datetime(2060, 1, 1, tzinfo=UTC)
        constraints = root.extensions.get_extension_for_class(x509.BasicConstraints).value
        assert constraints.ca


@pytest.mark.parametrize("name", STACKS)
def test_the_instance_uses_the_ca_the_bundle_roots(stack, name):
    db = stack(name).one(RDS).plain_inputs
    assert db["caCertIdentifier"] == database.CA_CERT_IDENTIFIER == "rds-ca-rsa2048-g1"


@pytest.mark.parametrize("name", STACKS)
def test_the_app_connects_with_verify_full(stack, name):
    cap = stack(name)
    settings = cap.one("kubernetes:core/v1:ConfigMap", "crowdsource-config").plain_inputs["data"]
    assert settings["DB_SSLMODE"] == "verify-full"
    # verify-full checks the name: the pods connect to the instance's own DNS name.
    assert settings["DB_HOST"] == cap.one(RDS).outputs["address"]


@pytest.mark.parametrize("name", STACKS)
def test_the_web_pods_log_in_as_the_app_role_and_trust_the_rds_bundle(stack, name):
    """The k8s component ships the bundle as a ConfigMap that sslrootcert names; the web pods
    log in as the least-privilege role the migration Job makes, never the RDS master user."""
    cap = stack(name)
    config = cap.one("kubernetes:core/v1:ConfigMap", "crowdsource-config").plain_inputs
    settings = config["data"]
    master = cap.one(RDS).plain_inputs["username"]
    assert settings["DB_USER"] == "crowdsource_app" != master
    assert settings["DB_SSLMODE"] == "verify-full"
    web = cap.one("kubernetes:apps/v1:Deployment", "web").plain_inputs["spec"]["template"]["spec"]
    (container,) = web["containers"]
    assert {"configMapRef": {"name": config["metadata"]["name"]}} in container["envFrom"]
    assert "DB_USER" not in {e["name"] for e in container.get("env") or []}
    root_cert = settings["DB_SSLROOTCERT"]
    (mount,) = [m for m in container["volumeMounts"] if root_cert.startswith(m["mountPath"] + "/")]
    (volume,) = [v for v in web["volumes"] if v["name"] == mount["name"]]
    ca_map = cap.one("kubernetes:core/v1:ConfigMap", volume["configMap"]["name"]).plain_inputs
    shipped = ca_map["data"][root_cert.removeprefix(mount["mountPath"] + "/")]
    assert shipped.strip() == database.ca_bundle().strip()
    # Only the migration Job connects as the master user (to migrate and to make the role).
    job = cap.one("kubernetes:batch/v1:Job").plain_inputs["spec"]["template"]["spec"]
    for step in (*job.get("initContainers", []), *job["containers"]):
        env = {e["name"]: e.get("value") for e in step.get("env") or []}
        assert env["DB_USER"] == master
