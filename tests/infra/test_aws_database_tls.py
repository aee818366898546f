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
