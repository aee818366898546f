"""The shipped prod stack files hold placeholders an adopter must replace (an all-zero
certificate ARN, a documentation range for who may reach the cluster's API): the programs
refuse them as they stand, with the fix; tests and `crowdsource cost` stand plausible values in
(infra/stand_ins.py), and leave real values alone."""

from __future__ import annotations

import pytest

from infra.capture import capture
from infra.config_values import ConfigError
from infra.program import main
from infra.stacks import load_stack
from infra.stand_ins import STAND_IN_CIDR, stand_ins
from tests.infra.conftest import ROOT, SECRETS


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("aws-prod", "crowdsource:cluster.publicAccessCidrs: 203.0.113.0/24 is a documentation"),
        ("gcp-prod", "crowdsource:gcp.authorizedNetworks: 203.0.113.0/24 is a documentation"),
    ],
)
def test_the_shipped_prod_files_are_refused_until_their_placeholders_are_replaced(
    name: str, refused: str
) -> None:
    config = {**load_stack(ROOT, name).config, **SECRETS}
    with pytest.raises(ConfigError, match=refused):
        capture(main, stack=name, config=config, secret_keys=tuple(SECRETS))


def test_aws_prod_also_needs_a_real_certificate() -> None:
    config = {**load_stack(ROOT, "aws-prod").config, **SECRETS}
    config |= {"crowdsource:cluster": stand_ins(config)["crowdsource:cluster"]}
    with pytest.raises(ConfigError, match=r"crowdsource:certificateArn: .* is a placeholder"):
        capture(main, stack="aws-prod", config=config, secret_keys=tuple(SECRETS))


def test_only_placeholders_are_stood_in_for() -> None:
    aws = load_stack(ROOT, "aws-prod").config
    replaced = stand_ins(aws)
    assert set(replaced) == {"crowdsource:certificateArn", "crowdsource:cluster"}
    assert ":111122223333:" in replaced["crowdsource:certificateArn"]
    assert replaced["crowdsource:cluster"] == {
        **aws["crowdsource:cluster"],
        "publicAccessCidrs": [STAND_IN_CIDR],
    }
    real = {
        "crowdsource:certificateArn": "arn:aws:acm:ap-south-1:444455556666:certificate/ab-12",
        "crowdsource:cluster": {"publicAccessCidrs": ["100.64.12.0/24", "192.0.2.0/25"]},
        "crowdsource:gcp": {"authorizedNetworks": ["100.64.12.0/24"]},
    }
    # A documentation range among real ones goes; the real ones stay.
    assert stand_ins(real) == {"crowdsource:cluster": {"publicAccessCidrs": ["100.64.12.0/24"]}}
    assert stand_ins(load_stack(ROOT, "aws-dev").config) == {}
