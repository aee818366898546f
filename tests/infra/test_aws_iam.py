"""The AWS Load Balancer Controller's IAM policy: the official one for the pinned chart, with the
actions it calls when rules change (SetRulePriorities) or a web ACL is attached (SetWebAcl), and
tag changes limited by the official conditions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from infra.aws import addons, iam

STACKS = ["aws-dev", "aws-prod"]
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def _statements() -> list[dict[str, Any]]:
    return list(json.loads(iam.load_balancer_controller_policy())["Statement"])


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _allowing(action: str) -> list[dict[str, Any]]:
    return [s for s in _statements() if action in _actions(s)]


def test_the_policy_file_is_the_official_one_for_the_pinned_chart():
    repo, chart = addons.LB_CONTROLLER_CHART
    assert repo == "https://aws.github.io/eks-charts"
    # eks-charts' aws-load-balancer-controller 1.X.Y installs controller v2.X.Y.
    assert "v2." + chart.split(".", 1)[1] == addons.LB_CONTROLLER_APP_VERSION
    assert iam.LB_CONTROLLER_POLICY_VERSION == addons.LB_CONTROLLER_APP_VERSION
    assert f"/blob/{iam.LB_CONTROLLER_POLICY_VERSION}/" in iam.LB_CONTROLLER_POLICY_SOURCE
    # The file is kept byte for byte as published: an edit by hand shows here.
    content = iam.LB_CONTROLLER_POLICY_FILE.read_bytes()
    assert hashlib.sha256(content).hexdigest() == iam.LB_CONTROLLER_POLICY_SHA256


def test_rules_can_change_priority_and_a_web_acl_can_be_attached():
    for action in ("elasticloadbalancing:SetRulePriorities", "elasticloadbalancing:SetWebAcl"):
        (statement,) = _allowing(action)
        assert statement["Effect"] == "Allow"


def test_load_balancers_and_target_groups_are_tagged_only_as_the_controllers_own():
    tagging = _allowing("elasticloadbalancing:AddTags")
    on_balancers = [
        s
        for s in tagging
        if any(":loadbalancer/" in r or ":targetgroup/" in r for r in s["Resource"])
    ]
    assert on_balancers, "the controller tags the load balancers and target groups it creates"
    for statement in on_balancers:
        assert "*" not in statement["Resource"]
        nulls = statement["Condition"]["Null"]
        # Either a create call carrying the cluster tag, or a resource that already has it.
        assert nulls.get("aws:RequestTag/elbv2.k8s.aws/cluster") == "false" or (
            nulls.get("aws:ResourceTag/elbv2.k8s.aws/cluster") == "false"
        )
    # Listeners and their rules are tagged only by ARN (they carry no cluster tag themselves).
    for statement in tagging:
        assert all(r.startswith("arn:aws:elasticloadbalancing:") for r in statement["Resource"])


def test_security_group_tags_change_only_on_the_controllers_groups():
    for statement in _allowing("ec2:CreateTags") + _allowing("ec2:DeleteTags"):
        assert statement["Resource"] == "arn:aws:ec2:*:*:security-group/*"
        assert "Condition" in statement
    (create,) = [s for s in _allowing("ec2:CreateTags") if "StringEquals" in s["Condition"]]
    assert create["Condition"]["StringEquals"] == {"ec2:CreateAction": "CreateSecurityGroup"}
    (change,) = _allowing("ec2:DeleteTags")
    assert change["Condition"]["Null"] == {
        "aws:RequestTag/elbv2.k8s.aws/cluster": "true",
        "aws:ResourceTag/elbv2.k8s.aws/cluster": "false",
    }


@pytest.mark.parametrize("name", STACKS)
def test_the_controller_role_gets_exactly_the_official_policy(stack, name):
    cap = stack(name)
    (policy,) = [
        r.plain_inputs for r in cap.of_type(ROLE_POLICY) if r.name.endswith("lb-controller")
    ]
    official = json.loads(iam.LB_CONTROLLER_POLICY_FILE.read_text(encoding="utf-8"))
    assert json.loads(policy["policy"]) == official
