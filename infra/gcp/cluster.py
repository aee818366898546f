"""GKE Autopilot: Google runs the nodes (the Fargate-like choice), we pay for pods' requests.

Private nodes, Workload Identity, the release channel from config, and a kubeconfig that
authenticates with `gke-gcloud-auth-plugin` (no static credentials in the stack state).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.gcp.component import children_of
from infra.gcp.network import PODS_RANGE, SERVICES_RANGE, Network
from infra.gcp.settings import GcpSettings
from infra.kubeconfig import exec_kubeconfig

AUTH_PLUGIN = "gke-gcloud-auth-plugin"


@dataclass(frozen=True)
class GkeClusterArgs:
    settings: GcpSettings
    network: Network
    node_account: gcp.serviceaccount.Account  # what the Autopilot nodes run as


class GkeCluster(pulumi.ComponentResource):
    """A regional Autopilot cluster in the VPC's subnetwork, its pods on the secondary ranges,
    and a kubeconfig for it (secret)."""

    cluster: gcp.container.Cluster
    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("crowdsource:gcp:GkeCluster", name, None, opts)
        self.cluster = _cluster(name, args, children_of(self, opts))
        self.kubeconfig = kubeconfig(self.cluster)
        self.register_outputs({"name": self.cluster.name, "endpoint": self.cluster.endpoint})


def _cluster(
    name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions
) -> gcp.container.Cluster:
    settings, network, node_account = args.settings, args.network, args.node_account
    authorized = None
    if settings.authorized_networks:
        authorized = gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
            cidr_blocks=[
                gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                    cidr_block=cidr, display_name=f"operators-{i}"
                )
                for i, cidr in enumerate(settings.authorized_networks)
            ],
            # Not every Google Cloud address as well: only the blocks above.
            gcp_public_cidrs_access_enabled=False,
        )
    return gcp.container.Cluster(
        f"{name}-cluster",
        name=name,
        # A region, not a zone: Autopilot spreads the control plane and pods across its zones.
        location=settings.region,
        enable_autopilot=True,
        network=network.vpc.id,
        subnetwork=network.subnet.id,
        ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
            cluster_secondary_range_name=PODS_RANGE,
            services_secondary_range_name=SERVICES_RANGE,
        ),
        # Nodes get no public IP (egress goes through Cloud NAT). The control plane keeps its
        # public endpoint so `pulumi up` can reach it; `authorizedNetworks` narrows who may
        # (required on prod, which refuses 0.0.0.0/0: settings.py).
        private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
            enable_private_nodes=True,
            enable_private_endpoint=False,
        ),
        master_authorized_networks_config=authorized,
        # Autopilot always runs Workload Identity; stating the pool keeps the plan honest about
        # which identities pods can take (the provider accepts it with Autopilot since 5.30).
        workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
            workload_pool=f"{settings.project}.svc.id.goog"
        ),
        release_channel=gcp.container.ClusterReleaseChannelArgs(channel=settings.release_channel),
        # Autopilot takes the nodes' identity here (gcloud's --service-account); access is
        # decided by the account's IAM roles, so the scope is the broad cloud-platform one.
        cluster_autoscaling=gcp.container.ClusterClusterAutoscalingArgs(
            auto_provisioning_defaults=gcp.container.ClusterClusterAutoscalingAutoProvisioningDefaultsArgs(
                service_account=node_account.email,
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
            )
        ),
        deletion_protection=settings.deletion_protection,
        opts=opts,
    )


def kubeconfig(cluster: gcp.container.Cluster) -> pulumi.Output[str]:
    """A kubeconfig for the cluster that gets short-lived tokens from the gcloud credentials of
    whoever runs `pulumi up` (install gke-gcloud-auth-plugin: `gcloud components install …`)."""
    return exec_kubeconfig(
        cluster.name,
        pulumi.Output.concat("https://", cluster.endpoint),
        cluster.master_auth.cluster_ca_certificate,
        {
            "command": AUTH_PLUGIN,
            "installHint": "gcloud components install gke-gcloud-auth-plugin",
            "provideClusterInfo": True,
        },
    )
