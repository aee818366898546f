"""The ECR repository for the app image: tags are immutable (a digest always means the same
build), images are scanned on push, and old untagged images expire."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

KEEP_UNTAGGED_DAYS = 14
KEEP_TAGGED = 50


def repository(
    name: str, *, repository_name: str, force_delete: bool, opts: pulumi.ResourceOptions
) -> aws.ecr.Repository:
    """The repository and its lifecycle policy. CI pushes `<url>:<git sha>` and deploys by
    digest; `pulumi stack output ecrRepositoryUrl` prints the URL."""
    repo = aws.ecr.Repository(
        name,
        name=repository_name,
        image_tag_mutability="IMMUTABLE",
        image_scanning_configuration={"scan_on_push": True},
        encryption_configurations=[{"encryption_type": "KMS"}],  # the AWS-managed ECR key
        force_delete=force_delete,
        opts=opts,
    )
    policy = {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Untagged images go after {KEEP_UNTAGGED_DAYS} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": KEEP_UNTAGGED_DAYS,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {KEEP_TAGGED} tagged images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": KEEP_TAGGED,
                },
                "action": {"type": "expire"},
            },
        ]
    }
    aws.ecr.LifecyclePolicy(name, repository=repo.name, policy=json.dumps(policy), opts=opts)
    return repo


@dataclass(frozen=True)
class ImageRegistryArgs:
    repository_name: str
    force_delete: bool  # an unprotected stack deletes its images with it


class ImageRegistry(pulumi.ComponentResource):
    """The app's ECR repository and its lifecycle policy."""

    def __init__(
        self, name: str, args: ImageRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crowdsource:aws:ImageRegistry", name, None, opts)
        self.repository = repository(
            name,
            repository_name=args.repository_name,
            force_delete=args.force_delete,
            opts=_moved_here(self),
        )
        self.register_outputs({"url": self.repository.repository_url})


def _moved_here(component: pulumi.ComponentResource) -> pulumi.ResourceOptions:
    """Children of `component` that were once created at the stack's root: the alias keeps a
    deployed stack's resources (no replacement)."""
    return pulumi.ResourceOptions(
        parent=component, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]
    )
