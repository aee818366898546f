"""The app's Google identity: a service account that the app's Kubernetes ServiceAccount becomes
through Workload Identity, with object access on the two buckets and nothing else.

No service-account keys exist anywhere: pods get short-lived tokens from the GKE metadata server.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.gcp.buckets import Buckets
from infra.gcp.settings import GcpSettings
from infra.k8s.spec import APP_NAME


@dataclass(frozen=True)
class AppIdentity:
    account: gcp.serviceaccount.Account
    # The Workload Identity binding and the bucket grants: the app needs all of them to start.
    grants: list[pulumi.CustomResource]


def create_app_identity(
    name: str,
    settings: GcpSettings,
    namespace: str,
    buckets: Buckets,
    cluster: gcp.container.Cluster,
    opts: pulumi.ResourceOptions,
) -> AppIdentity:
    """The service account, its Workload Identity binding and its two bucket grants. The
    binding waits for `cluster`: its member lives in the project's identity pool, which
    exists only once a Workload Identity cluster does."""
    account = gcp.serviceaccount.Account(
        f"{name}-app-sa",
        account_id=f"{name}-app"[:30],
        display_name=f"Crowdsource app ({pulumi.get_stack()})",
        description="Used by the app's pods through Workload Identity; no keys.",
        opts=opts,
    )
    # Only the app's ServiceAccount, in the app's namespace, may act as this account. The
    # member names the pool PROJECT.svc.id.goog, which the first Workload Identity cluster of
    # the project creates: before it, IAM answers "Error 400: Identity Pool does not exist".
    # Nothing in the member's text refers to the cluster, so the dependency is stated.
    binding = gcp.serviceaccount.IAMMember(
        f"{name}-app-workload-identity",
        service_account_id=account.name,
        role="roles/iam.workloadIdentityUser",
        member=f"serviceAccount:{settings.project}.svc.id.goog[{namespace}/{APP_NAME}]",
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[cluster])),
    )
    # Bucket-level grants only: a project-level storage role would reach every bucket.
    # Recordings: the app writes uploads, reads them back for validators and deletes on
    # failed inserts. Dashboard: the refresh job replaces the JSON files (objectAdmin, since
    # overwriting an object needs delete).
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
            opts=opts,
        )
        grants.append(grant)
    return AppIdentity(account=account, grants=grants)


# What GKE nodes need to run (logs, metrics, pulling images from their own project) in one
# predefined role; the Compute Engine default account would carry Editor on many projects.
NODE_ROLE = "roles/container.defaultNodeServiceAccount"


def create_node_identity(
    name: str,
    settings: GcpSettings,
    registry: gcp.artifactregistry.Repository,
    opts: pulumi.ResourceOptions,
) -> gcp.serviceaccount.Account:
    """A least-privilege service account for the Autopilot nodes: the node role on the project
    and read access on the app's registry (so nodes can pull the app image)."""
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
