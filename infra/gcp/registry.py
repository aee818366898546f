"""Artifact Registry: where the app's images live, next to the cluster (same region)."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.gcp.settings import GcpSettings


def create_registry(
    name: str, settings: GcpSettings, opts: pulumi.ResourceOptions
) -> gcp.artifactregistry.Repository:
    """A Docker repository with immutable tags: a tag, once pushed, always means the same image."""
    return gcp.artifactregistry.Repository(
        f"{name}-registry",
        repository_id=name,
        location=settings.region,
        format="DOCKER",
        description="Crowdsource app images",
        docker_config=gcp.artifactregistry.RepositoryDockerConfigArgs(immutable_tags=True),
        # Untagged images (superseded pushes) go after 30 days; tagged releases stay.
        cleanup_policies=[
            gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                id="delete-untagged",
                action="DELETE",
                condition=gcp.artifactregistry.RepositoryCleanupPolicyConditionArgs(
                    tag_state="UNTAGGED", older_than="2592000s"
                ),
            )
        ],
        opts=opts,
    )
