"""Only the app's pods reach the database: a security group of their own, given to them by a
SecurityGroupPolicy (security groups for pods, which EKS applies on Fargate).

Every Fargate pod carries the cluster security group, so a database that trusts that group
trusts every pod of the cluster (the controller, metrics-server, CoreDNS, anything deployed
later); and Fargate does not enforce NetworkPolicies. With a SecurityGroupPolicy, the selected
pods get exactly the groups it names: the app's group, which the database admits, and the
cluster group, which they still need to reach the API server and CoreDNS (port 53) and which
the load balancer controller opens to the ALB. Other pods keep the cluster group alone.

EKS applies the policy when a pod is scheduled: a pod started before the policy exists keeps
the cluster group and cannot reach the database. So the policy must exist before any of the
app's pods (the migration Job, the web Deployment, the refresh CronJob). It lives in the app's
namespace, which the app component (infra/k8s) creates: the stack hands it to the component as
a pod prerequisite (AppArgs.pod_prerequisites), created after the namespace and before every
pod-bearing object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.k8s.spec import APP_NAME

POLICY_API_VERSION = "vpcresources.k8s.aws/v1beta1"
POLICY_KIND = "SecurityGroupPolicy"
# The label every pod of the app carries (infra/k8s/manifests.py).
APP_SELECTOR = {"app.kubernetes.io/name": APP_NAME}


@dataclass(frozen=True)
class AppSecurityGroupArgs:
    vpc_id: pulumi.Input[str]
    cluster_name: str


class AppSecurityGroup(pulumi.ComponentResource):
    """The app pods' own security group: no ingress of its own (the ALB reaches the pods through
    the cluster group, which the controller opens), all egress (RDS, S3, STS, DNS)."""

    def __init__(
        self, name: str, args: AppSecurityGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crowdsource:aws:AppSecurityGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.group = aws.ec2.SecurityGroup(
            name,
            description="The app's pods (SecurityGroupPolicy): the database admits this group",
            vpc_id=args.vpc_id,
            # No kubernetes.io/cluster tag: the load balancer controller must pick the cluster
            # group (which carries it) when it opens the pods to the ALB.
            tags={"Name": f"{args.cluster_name}-app-pods"},
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress",
            security_group_id=self.group.id,
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            description="The app's calls out: RDS, S3, STS, DNS",
            opts=child,
        )
        self.id = self.group.id
        self.register_outputs({"id": self.group.id})


def policy_manifest(group_ids: list[pulumi.Input[str]]) -> dict[str, Any]:
    """The SecurityGroupPolicy giving the app's pods `group_ids` (and no other groups), in the
    app's namespace (the component fills it in)."""
    return {
        "apiVersion": POLICY_API_VERSION,
        "kind": POLICY_KIND,
        "metadata": {
            "name": f"{APP_NAME}-pods",
            "labels": {"app.kubernetes.io/part-of": APP_NAME},
        },
        "spec": {
            "podSelector": {"matchLabels": dict(APP_SELECTOR)},
            "securityGroups": {"groupIds": group_ids},
        },
    }
