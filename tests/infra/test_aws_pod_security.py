"""Security groups for pods on Fargate: the app's pods, and only they, carry the group the
database admits; the policy that gives it to them exists before the first of them starts."""

from __future__ import annotations

import pytest

from infra.capture import Capture, Registered
from tests.infra.conftest import build_stack

STACKS = ["aws-dev", "aws-prod"]
SG = "aws:ec2/securityGroup:SecurityGroup"
EKS = "aws:eks/cluster:Cluster"
POLICY = "kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy"
POD_KINDS = ("Job", "Deployment", "CronJob")


def _policy(cap: Capture) -> Registered:
    return cap.one(POLICY)


def _pod_objects(cap: Capture) -> list[Registered]:
    return [
        r
        for r in cap.resources
        if r.type.startswith("kubernetes:") and r.type.rsplit(":", 1)[-1] in POD_KINDS
    ]


@pytest.mark.parametrize("name", STACKS)
def test_the_app_pods_get_their_own_group_and_the_clusters(stack, name):
    cap = stack(name)
    policy = _policy(cap).plain_inputs
    assert policy["metadata"]["namespace"] == "crowdsource"
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": "crowdsource"}
    app_group = f"{cap.one(SG, 'app-pods').name}-id"
    cluster_group = cap.one(EKS).outputs["vpcConfig"]["clusterSecurityGroupId"]
    # The cluster group stays: the pods reach the API server and CoreDNS through it, and the
    # load balancer controller opens it to the ALB.
    assert policy["spec"]["securityGroups"]["groupIds"] == [app_group, cluster_group]


@pytest.mark.parametrize("name", STACKS)
def test_every_app_pod_is_selected_by_the_policy(stack, name):
    cap = stack(name)
    selector = _policy(cap).plain_inputs["spec"]["podSelector"]["matchLabels"]
    pods = _pod_objects(cap)
    assert {r.type.rsplit(":", 1)[-1] for r in pods} == set(POD_KINDS)
    for r in pods:
        spec = r.plain_inputs["spec"]
        template = (
            spec["jobTemplate"]["spec"]["template"] if "jobTemplate" in spec else spec["template"]
        )
        labels = template["metadata"]["labels"]
        assert selector.items() <= labels.items(), r.name


@pytest.mark.parametrize("name", STACKS)
def test_the_app_pods_group_lets_them_call_out(stack, name):
    cap = stack(name)
    group = cap.one(SG, "app-pods")
    assert not any(k.startswith("kubernetes.io/cluster/") for k in group.plain_inputs["tags"])
    (egress,) = [
        r.plain_inputs
        for r in cap.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.plain_inputs["securityGroupId"] == f"{group.name}-id"
    ]
    assert (egress["ipProtocol"], egress["cidrIpv4"]) == ("-1", "0.0.0.0/0")
    ingress = cap.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert not any(r.plain_inputs["securityGroupId"] == f"{group.name}-id" for r in ingress)


@pytest.mark.parametrize("name", STACKS)
def test_the_policy_exists_before_any_app_pod(name):
    cap = build_stack(name, delays={POLICY: 1.0})
    policy_at = cap.resources.index(_policy(cap))
    pods = _pod_objects(cap)
    assert pods and all(cap.resources.index(r) > policy_at for r in pods)
    policy_urn = _policy(cap).urn
    assert all(policy_urn in r.dependencies for r in pods)
    namespace = cap.one("kubernetes:core/v1:Namespace", "crowdsource-namespace")
    assert namespace.urn in _policy(cap).dependencies
