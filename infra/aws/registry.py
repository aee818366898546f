"""The ECR repository for the app image: tags are immutable (a digest always means the same
build), images are scanned on push, and old untagged images expire."""

from __future__ import annotations

import json

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
