"""What the aws stacks refuse before anything is created (placeholders, an API endpoint open to
the internet in prod) and what the cluster's protection settings become."""

from __future__ import annotations

import pytest

from infra.config_values import ConfigError
from infra.stacks import load_stack
from infra.stand_ins import stand_ins
from tests.infra.conftest import ROOT, build_stack

EKS = "aws:eks/cluster:Cluster"
REAL_LOOKING = (
    "arn:aws:acm:ap-south-1:111122223333:certificate/0b7f5c1e-4a2d-4c3b-9e8f-1a2b3c4d5e6f"
)


def test_the_shipped_prod_certificate_placeholder_is_refused():
    shipped = load_stack(ROOT, "aws-prod").config["crowdsource:certificateArn"]
    with pytest.raises(ConfigError, match=r"crowdsource:certificateArn: .* is a placeholder"):
        build_stack("aws-prod", certificateArn=shipped)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:acm:ap-south-1:000000000000:certificate/0b7f5c1e-4a2d-4c3b-9e8f-1a2b3c4d5e6f",
        "arn:aws:acm:ap-south-1:111122223333:certificate/00000000-0000-0000-0000-000000000000",
    ],
)
def test_an_all_zero_account_or_certificate_id_is_a_placeholder(arn):
    with pytest.raises(ConfigError, match="placeholder"):
        build_stack("aws-prod", certificateArn=arn)


def test_a_certificate_from_another_region_is_refused():
    with pytest.raises(ConfigError, match="needs a certificate in ap-south-1"):
        build_stack("aws-prod", certificateArn=REAL_LOOKING.replace("ap-south-1", "us-east-1"))


def test_a_real_looking_certificate_reaches_the_alb():
    cap = build_stack("aws-prod", certificateArn=REAL_LOOKING)
    (ingress,) = [r for r in cap.kubernetes_objects() if r["kind"] == "Ingress"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == REAL_LOOKING


def _shipped_cluster(name: str) -> dict:
    """The stack file's cluster settings, its placeholders stood in for (infra/stand_ins.py)."""
    config = load_stack(ROOT, name).config
    return dict({**config, **stand_ins(config)}["crowdsource:cluster"])


def _cluster_with(name: str, **cluster: object) -> dict:
    return build_stack(name, cluster={**_shipped_cluster(name), **cluster}).one(EKS).plain_inputs


@pytest.mark.parametrize(
    ("cidrs", "message"),
    [
        (["0.0.0.0/0"], "0.0.0.0/0 opens the cluster's API to the whole internet"),
        (["100.64.12.0/24", "0.0.0.0/0"], "0.0.0.0/0 opens"),
        ([], "a prod stack names who may reach the cluster's API"),
        # the shipped placeholder, and any documentation range (RFC 5737), reaches nobody
        (["203.0.113.0/24"], "203.0.113.0/24 is a documentation range"),
        (["100.64.12.0/24", "198.51.100.7/32"], "198.51.100.7/32 is a documentation range"),
    ],
)
def test_prod_refuses_an_api_endpoint_open_to_everyone_or_to_nobody(cidrs, message):
    with pytest.raises(ConfigError, match=rf"crowdsource:cluster.publicAccessCidrs: {message}"):
        _cluster_with("aws-prod", publicAccessCidrs=cidrs)


def test_the_api_endpoint_admits_only_the_configured_addresses():
    assert _cluster_with("aws-prod", publicAccessCidrs=["100.64.12.7/32"])["vpcConfig"][
        "publicAccessCidrs"
    ] == ["100.64.12.7/32"]


def test_dev_may_leave_the_api_endpoint_open():
    vpc = _cluster_with("aws-dev", publicAccessCidrs=["0.0.0.0/0"])["vpcConfig"]
    assert vpc["publicAccessCidrs"] == ["0.0.0.0/0"]


@pytest.mark.parametrize(("name", "protected"), [("aws-dev", False), ("aws-prod", True)])
def test_the_prod_cluster_is_protected_from_deletion(stack, name, protected):
    cluster = stack(name).one(EKS).plain_inputs
    assert cluster.get("deletionProtection", False) is protected
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}


def test_prod_protects_the_cluster_when_the_key_is_left_out():
    shipped = _shipped_cluster("aws-prod")
    del shipped["deletionProtection"]
    assert build_stack("aws-prod", cluster=shipped).one(EKS).plain_inputs["deletionProtection"]


def test_an_unknown_support_type_is_refused():
    with pytest.raises(ConfigError, match=r"crowdsource:cluster\.supportType"):
        _cluster_with("aws-dev", supportType="FOREVER")
