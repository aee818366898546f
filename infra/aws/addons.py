"""What the cluster needs before the app: pod logs to CloudWatch, metrics-server (for the HPA)
and the AWS Load Balancer Controller (turns the app's Ingress into an ALB).

Helm charts are pinned; a chart upgrade is a reviewed change like any other. Both charts run in
kube-system, which has a Fargate profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.aws.cluster import Cluster
from infra.aws.iam import irsa_role, load_balancer_controller_policy

METRICS_SERVER_CHART = ("https://kubernetes-sigs.github.io/metrics-server/", "3.13.0")
LB_CONTROLLER_CHART = ("https://aws.github.io/eks-charts", "1.14.0")
# The controller version that chart installs (its Chart.yaml appVersion). The controller's IAM
# policy (iam.LB_CONTROLLER_POLICY_VERSION) is the official one of exactly this version.
LB_CONTROLLER_APP_VERSION = "v2.14.0"
LB_CONTROLLER_ACCOUNT = "aws-load-balancer-controller"


def fargate_logging(cluster: Cluster) -> list[dict]:
    """Fargate's built-in log router reads this ConfigMap (name and namespace are fixed by EKS)
    and ships every pod's stdout to the cluster's pod log group."""
    output = pulumi.Output.format(
        "[OUTPUT]\n    Name cloudwatch_logs\n    Match *\n    region {0}\n"
        "    log_group_name {1}\n    log_stream_prefix fargate-\n    auto_create_group false\n",
        cluster.region,
        cluster.pod_log_group.name,
    )
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": "aws-observability",
                "labels": {"aws-observability": "enabled"},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "aws-logging", "namespace": "aws-observability"},
            "data": {"flb_log_cw": "false", "output.conf": output},
        },
    ]


@dataclass(frozen=True)
class ClusterAddonsArgs:
    cluster: Cluster
    vpc_id: pulumi.Input[str]  # Fargate has no instance metadata to discover it from


class ClusterAddons(pulumi.ComponentResource):
    """Pod logging, metrics-server and the AWS Load Balancer Controller (with its IRSA role).
    `opts` must carry both the AWS and the Kubernetes provider."""

    def __init__(
        self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crowdsource:aws:ClusterAddons", name, None, opts)
        cluster, vpc_id = args.cluster, args.vpc_id
        child = pulumi.ResourceOptions(parent=self)
        namespace_manifest, config_manifest = fargate_logging(cluster)
        namespace = k8s.core.v1.Namespace(
            f"{name}-observability", metadata=namespace_manifest["metadata"], opts=child
        )
        k8s.core.v1.ConfigMap(
            f"{name}-fargate-logging",
            metadata=config_manifest["metadata"],
            data=config_manifest["data"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
        )
        # CoreDNS first: chart hooks and webhooks need names to resolve.
        after_dns = pulumi.ResourceOptions(parent=self, depends_on=[cluster.coredns])

        repo, version = METRICS_SERVER_CHART
        self.metrics_server = k8s.helm.v3.Release(
            f"{name}-metrics-server",
            name="metrics-server",
            chart="metrics-server",
            version=version,
            namespace="kube-system",
            repository_opts={"repo": repo},
            values={
                # On Fargate the pod shares its micro-VM with a kubelet listening on 10250.
                "containerPort": 4443,
                "replicas": 1,
                "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}},
            },
            opts=after_dns,
        )

        self.lb_controller_role = irsa_role(
            f"{name}-lb-controller",
            oidc_provider=cluster.oidc_provider,
            namespace="kube-system",
            service_account=LB_CONTROLLER_ACCOUNT,
            policy=load_balancer_controller_policy(),
            opts=child,
        )
        repo, version = LB_CONTROLLER_CHART
        self.lb_controller = k8s.helm.v3.Release(
            f"{name}-lb-controller",
            name="aws-load-balancer-controller",
            chart="aws-load-balancer-controller",
            version=version,
            namespace="kube-system",
            repository_opts={"repo": repo},
            values={
                # Fargate has no instance metadata service to discover these from.
                "clusterName": cluster.cluster.name,
                "region": cluster.region,
                "vpcId": vpc_id,
                "replicaCount": 2,
                "serviceAccount": {
                    "create": True,
                    "name": LB_CONTROLLER_ACCOUNT,
                    "annotations": {"eks.amazonaws.com/role-arn": self.lb_controller_role.arn},
                },
                # Only Ingresses are ours to turn into load balancers; leave Services alone.
                "enableServiceMutatorWebhook": False,
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
            },
            opts=after_dns,
        )
        self.register_outputs({"lb_controller_role": self.lb_controller_role.arn})
