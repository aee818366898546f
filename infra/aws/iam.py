"""IAM: roles for AWS services, IRSA roles for pods, and the app's least-privilege policy.

Pods get AWS credentials only through IRSA (IAM Roles for Service Accounts): EKS projects a token
for the pod's ServiceAccount, and STS trades it for the role's temporary credentials. No static
access key exists anywhere in this program (the tests check that).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

Statement = dict[str, Any]


def service_trust(service: str, conditions: dict[str, Any] | None = None) -> str:
    """A trust policy letting an AWS service (eks.amazonaws.com…) assume the role."""
    statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        statement["Condition"] = conditions
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def document(statements: list[Statement]) -> pulumi.Output[str]:
    """A policy document from statements whose values may be Pulumi outputs."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


def irsa_role(
    name: str,
    *,
    oidc_provider: aws.iam.OpenIdConnectProvider,
    namespace: str,
    service_account: str,
    policy: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.iam.Role:
    """A role only the pods of one ServiceAccount can assume: the trust names the cluster's OIDC
    provider and pins both the token's subject (namespace and account) and its audience."""
    issuer = oidc_provider.url.apply(lambda url: url.removeprefix("https://"))
    trust = pulumi.Output.all(oidc_provider.arn, issuer).apply(
        lambda parts: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": parts[0]},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {
                                f"{parts[1]}:sub": (
                                    f"system:serviceaccount:{namespace}:{service_account}"
                                ),
                                f"{parts[1]}:aud": "sts.amazonaws.com",
                            }
                        },
                    }
                ],
            }
        )
    )
    role = aws.iam.Role(name, assume_role_policy=trust, opts=opts)
    aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=opts)
    return role


def app_policy(
    recordings_arn: pulumi.Input[str], dashboard_arn: pulumi.Input[str]
) -> pulumi.Output[str]:
    """What the app's pods may do: read and write recordings, publish the dashboard. Nothing
    else: no other bucket, no `*`, no bucket administration."""
    return document(
        [
            {
                "Sid": "ListBuckets",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [recordings_arn, dashboard_arn],
            },
            {
                "Sid": "RecordingsReadWrite",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [pulumi.Output.concat(recordings_arn, "/*")],
            },
            {
                # The refresh job writes (and replaces) the dashboard JSON; readers go through
                # CloudFront, so the app never needs to read it back.
                "Sid": "DashboardPublish",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                "Resource": [pulumi.Output.concat(dashboard_arn, "/*")],
            },
        ]
    )


# The AWS Load Balancer Controller's official IAM policy, kept verbatim as published with the
# controller (docs/install/iam_policy.json) at the tag that the pinned Helm chart installs
# (addons.LB_CONTROLLER_CHART: chart 1.14.0 has appVersion v2.14.0, per the chart's Chart.yaml at
# that tag). Upgrading the chart means replacing the file from the new tag and both records below;
# tests/infra/test_aws_iam.py checks that the chart, the tag and the file's digest agree.
LB_CONTROLLER_POLICY_FILE = Path(__file__).with_name("lb_controller_iam_policy.json")
LB_CONTROLLER_POLICY_SOURCE = (
    "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v2.14.0/"
    "docs/install/iam_policy.json"
)
LB_CONTROLLER_POLICY_VERSION = "v2.14.0"
LB_CONTROLLER_POLICY_SHA256 = "16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a"


def load_balancer_controller_policy() -> str:
    """The controller's permissions: exactly its official policy for the pinned version. Reads
    are account-wide (the API has no resource-level reads); changes are limited to load
    balancers, target groups and security groups the controller tagged as its own."""
    document = json.loads(LB_CONTROLLER_POLICY_FILE.read_text(encoding="utf-8"))
    return json.dumps(document)


@dataclass(frozen=True)
class AppIdentityArgs:
    oidc_provider: aws.iam.OpenIdConnectProvider
    namespace: str
    service_account: str
    recordings_arn: pulumi.Input[str]
    dashboard_arn: pulumi.Input[str]


class AppIdentity(pulumi.ComponentResource):
    """The app's IRSA role: its ServiceAccount's pods, and only they, get app_policy."""

    def __init__(
        self, name: str, args: AppIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crowdsource:aws:AppIdentity", name, None, opts)
        self.role = irsa_role(
            name,
            oidc_provider=args.oidc_provider,
            namespace=args.namespace,
            service_account=args.service_account,
            policy=app_policy(args.recordings_arn, args.dashboard_arn),
            opts=_moved_here(self),
        )
        self.arn = self.role.arn
        self.register_outputs({"role": self.role.arn})


def _moved_here(component: pulumi.ComponentResource) -> pulumi.ResourceOptions:
    """Children of `component` that were once created at the stack's root: the alias keeps a
    deployed stack's resources (no replacement)."""
    return pulumi.ResourceOptions(
        parent=component, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]
    )
