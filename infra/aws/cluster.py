"""EKS on Fargate: the control plane, Fargate profiles, the OIDC provider for IRSA, CoreDNS, and
the kubeconfig that the Kubernetes provider uses.

There are no EC2 nodes: every pod runs on Fargate in a private subnet. So the add-ons that are
DaemonSets (vpc-cni, kube-proxy, the pod identity agent) are not installed: Fargate brings its
own networking in each pod's micro-VM, and DaemonSets never run there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws.iam import service_trust
from infra.aws.network import Network
from infra.aws.settings import AwsSettings
from infra.kubeconfig import exec_kubeconfig

LOG_TYPES = ["api", "audit", "authenticator"]
MANAGED = "arn:aws:iam::aws:policy"


@dataclass(frozen=True)
class ClusterArgs:
    settings: AwsSettings
    network: Network  # control plane and Fargate pods in its private subnets
    app_namespace: str  # gets a Fargate profile (kube-system has the other)


class Cluster(pulumi.ComponentResource):
    """The EKS cluster with its roles, secrets-encryption key, control-plane logs, Fargate
    profiles (the app's namespace and kube-system), OIDC provider and CoreDNS add-on."""

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crowdsource:aws:Cluster", name, None, opts)
        settings, network, app_namespace = args.settings, args.network, args.app_namespace
        child = pulumi.ResourceOptions(parent=self)
        self.name = settings.cluster_name
        self.region = settings.region

        role = aws.iam.Role(
            f"{name}-control-plane", assume_role_policy=service_trust("eks.amazonaws.com"),
            opts=child,
        )  # fmt: skip
        aws.iam.RolePolicyAttachment(
            f"{name}-control-plane",
            role=role.name,
            policy_arn=f"{MANAGED}/AmazonEKSClusterPolicy",
            opts=child,
        )
        # Kubernetes Secrets (the database password, the cookie key) are envelope-encrypted
        # with this key in etcd.
        self.secrets_key = aws.kms.Key(
            f"{name}-secrets",
            description=f"EKS secrets encryption for {self.name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=child,
        )
        # EKS writes its control-plane logs here; made first so that its retention applies
        # (EKS would otherwise create the group itself, kept forever).
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{self.name}/cluster",
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        access = settings.cluster
        self.cluster = aws.eks.Cluster(
            name,
            name=self.name,
            version=access.version,
            role_arn=role.arn,
            vpc_config={
                # Control-plane network interfaces in the private subnets; the load balancer
                # controller finds the public ones by their tags.
                "subnet_ids": [s.id for s in network.private_subnets],
                "endpoint_private_access": access.private_endpoint,
                "endpoint_public_access": access.public_endpoint,
                "public_access_cidrs": list(access.public_access_cidrs),
            },
            # Access entries (not the aws-auth ConfigMap); whoever runs `pulumi up` is admin.
            access_config={
                "authentication_mode": "API",
                "bootstrap_cluster_creator_admin_permissions": True,
            },
            encryption_config={
                "provider": {"key_arn": self.secrets_key.arn},
                "resources": ["secrets"],
            },
            enabled_cluster_log_types=LOG_TYPES,
            # Only managed add-ons (CoreDNS below): no unmanaged DaemonSets that Fargate
            # cannot run.
            bootstrap_self_managed_addons=False,
            # Prod: `pulumi destroy` (or a change that replaces the cluster) fails until the
            # flag is turned off in a reviewed change.
            deletion_protection=access.deletion_protection,
            upgrade_policy={"support_type": access.support_type},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )
        # Fargate pods get the cluster's security group: the database admits exactly it.
        self.security_group_id = self.cluster.vpc_config.cluster_security_group_id

        self.pod_execution_role = self._pod_execution_role(name)
        self.pod_log_group = aws.cloudwatch.LogGroup(
            f"{name}-pods",
            name=f"/aws/eks/{self.name}/pods",
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-pod-logs",
            role=self.pod_execution_role.id,
            policy=self.pod_log_group.arn.apply(_pod_logs_policy),
            opts=child,
        )
        private_subnet_ids = [s.id for s in network.private_subnets]
        self.fargate_profiles = [
            aws.eks.FargateProfile(
                f"{name}-{profile}",
                cluster_name=self.cluster.name,
                fargate_profile_name=profile,
                pod_execution_role_arn=self.pod_execution_role.arn,
                subnet_ids=private_subnet_ids,  # Fargate accepts private subnets only
                selectors=[{"namespace": namespace}],
                opts=child,
            )
            for profile, namespace in (("app", app_namespace), ("system", "kube-system"))
        ]
        # Without a node to run on, CoreDNS must be told it runs on Fargate (EKS add-on docs,
        # "computeType"); until it runs, no pod resolves a name.
        self.coredns = aws.eks.Addon(
            f"{name}-coredns",
            cluster_name=self.cluster.name,
            addon_name="coredns",
            configuration_values=json.dumps({"computeType": "Fargate"}),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.fargate_profiles),
        )
        # IRSA: pods trade their ServiceAccount token for a role's credentials through this
        # provider. AWS trusts the EKS issuer's certificate itself, so no thumbprint is pinned.
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.cluster.identities[0].oidcs[0].issuer,
            client_id_lists=["sts.amazonaws.com"],
            opts=child,
        )
        self.kubeconfig = kubeconfig(self.cluster, settings.region)
        self.register_outputs({"name": self.cluster.name, "endpoint": self.cluster.endpoint})

    def _pod_execution_role(self, name: str) -> aws.iam.Role:
        """The role Fargate uses to pull images and ship logs, limited to this cluster's
        profiles (the confused-deputy condition AWS recommends)."""
        profiles = self.cluster.arn.apply(
            lambda arn: arn.replace(":cluster/", ":fargateprofile/", 1) + "/*"
        )
        trust = profiles.apply(
            lambda source: service_trust(
                "eks-fargate-pods.amazonaws.com", {"ArnLike": {"aws:SourceArn": source}}
            )
        )
        role = aws.iam.Role(
            f"{name}-pod-execution",
            assume_role_policy=trust,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-pod-execution",
            role=role.name,
            policy_arn=f"{MANAGED}/AmazonEKSFargatePodExecutionRolePolicy",
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role


def _pod_logs_policy(log_group_arn: str) -> str:
    """Fargate's log router (Fluent Bit) writes the pods' stdout to one log group."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "logs:CreateLogStream",
                        "logs:DescribeLogStreams",
                        "logs:PutLogEvents",
                    ],
                    "Resource": [log_group_arn, f"{log_group_arn}:*"],
                }
            ],
        }
    )


def kubeconfig(cluster: aws.eks.Cluster, region: str) -> pulumi.Output[str]:
    """A kubeconfig for the cluster that gets short-lived tokens from `aws eks get-token` (the
    AWS CLI, with the credentials `pulumi up` runs with): no token is stored in the state."""
    return exec_kubeconfig(
        cluster.name,
        cluster.endpoint,
        cluster.certificate_authority.data,
        {
            "command": "aws",
            "args": [
                "eks", "get-token", "--cluster-name", cluster.name,
                "--region", region, "--output", "json",
            ],
            "interactiveMode": "Never",
        },
    )  # fmt: skip
