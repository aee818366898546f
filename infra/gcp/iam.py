"""The app's Google identity: a service account that the app's Kubernetes ServiceAccount becomes
through Workload Identity, with object access on the two buckets and nothing else.

No service-account keys exist anywhere: pods get short-lived tokens from the GKE metadata server.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.gcp.buckets import Buckets
from infra.gcp.component import children_of
from infra.gcp.settings import GcpSettings
from infra.k8s.spec import APP_NAME


@dataclass(frozen=True)
class AppIdentityArgs:
    settings: GcpSettings
    namespace: str  # the app's Kubernetes namespace (its ServiceAccount is APP_NAME there)
    buckets: Buckets
    # The binding's member lives in the project's identity pool, which exists only once a
    # Workload Identity cluster does: the binding waits for this cluster.
    cluster: gcp.container.Cluster


class AppIdentity(pulumi.ComponentResource):
    """The service account, its Workload Identity binding and its two bucket grants."""

    account: gcp.serviceaccount.Account
    # The Workload Identity binding and the bucket grants: the app needs all of them to start.
    grants: list[pulumi.CustomResource]

    def __init__(self, name: str, args: AppIdentityArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("crowdsource:gcp:AppIdentity", name, None, opts)
        child = children_of(self, opts)
        settings, namespace, buckets, cluster = (
            args.settings, args.namespace, args.buckets, args.cluster,
        )  # fmt: skip
        account = gcp.serviceaccount.Account(
            f"{name}-app-sa",
            account_id=f"{name}-app"[:30],
            display_name=f"Crowdsource app ({pulumi.get_stack()})",
            description="Used by the app's pods through Workload Identity; no keys.",
            opts=child,
        )
        # Only the app's ServiceAccount, in the app's namespace, may act as this account. The
        # member names the pool PROJECT.svc.id.goog, which the first Workload Identity cluster
        # of the project creates: before it, IAM answers "Error 400: Identity Pool does not
        # exist". Nothing in the member's text refers to the cluster: the dependency is stated.
        binding = gcp.serviceaccount.IAMMember(
            f"{name}-app-workload-identity",
            service_account_id=account.name,
            role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{settings.project}.svc.id.goog[{namespace}/{APP_NAME}]",
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[cluster])),
        )
        # Bucket-level grants only: a project-level storage role would reach every bucket.
        # Recordings: the app writes uploads, reads them back for validators and deletes on
        # failed inserts. Dashboard: the refresh job replaces the JSON files (objectAdmin,
        # since overwriting an object needs delete).
        grants: list[pulumi.CustomResource] = [binding]
        for bucket_name, bucket in (
            ("recordings", buckets.recordings),
            ("dashboard", buckets.dashboard),
        ):
            grant = gcp.storage.BucketIAMMember(
                f"{name}-app-{bucket_name}-access",
                bucket=bucket.name,
                role="roles/storage.objectAdmin",
                member=account.member,
                opts=child,
            )
            grants.append(grant)
        self.account, self.grants = account, grants
        self.register_outputs({"email": account.email})


# What GKE nodes need to run (logs, metrics, pulling images from their own project) in one
# predefined role; the Compute Engine default account would carry Editor on many projects.
NODE_ROLE = "roles/container.defaultNodeServiceAccount"


@dataclass(frozen=True)
class NodeIdentityArgs:
    settings: GcpSettings
    registry: gcp.artifactregistry.Repository  # the nodes pull the app image from it


class NodeIdentity(pulumi.ComponentResource):
    """A least-privilege service account for the Autopilot nodes: the node role on the project
    and read access on the app's registry (so nodes can pull the app image)."""

    account: gcp.serviceaccount.Account

    def __init__(self, name: str, args: NodeIdentityArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("crowdsource:gcp:NodeIdentity", name, None, opts)
        self.account = _node_account(name, args.settings, args.registry, children_of(self, opts))
        self.register_outputs({"email": self.account.email})


def _node_account(
    name: str,
    settings: GcpSettings,
    registry: gcp.artifactregistry.Repository,
    opts: pulumi.ResourceOptions,
) -> gcp.serviceaccount.Account:
    account = gcp.serviceaccount.Account(
        f"{name}-nodes-sa",
        account_id=f"{name}-nodes"[:30],
        display_name=f"Crowdsource GKE nodes ({pulumi.get_stack()})",
        description="Autopilot nodes: logs, metrics and image pulls only; no keys.",
        opts=opts,
    )
    gcp.projects.IAMMember(
        f"{name}-nodes-role",
        project=settings.project,
        role=NODE_ROLE,
        member=account.member,
        opts=opts,
    )
    gcp.artifactregistry.RepositoryIamMember(
        f"{name}-nodes-registry-read",
        project=settings.project,
        location=registry.location,
        repository=registry.name,
        role="roles/artifactregistry.reader",
        member=account.member,
        opts=opts,
    )
    return account
