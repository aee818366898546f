"""How long the project's logs are kept: the `_Default` log bucket's retention from config.

What lands there: the pods' logs (the refresh job's success line that the freshness alert
counts), the app's load balancer request logs with Cloud Armor's decisions (BackendConfig
`logging`, 10 % sampled), VPC flow logs (the subnetwork, 10 % sampled), Cloud NAT errors and
Cloud SQL's logs (statements slower than `sql.slowQueryMs`).
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.gcp.settings import GcpSettings

DEFAULT_BUCKET = "_Default"


def retain_logs(
    name: str, settings: GcpSettings, opts: pulumi.ResourceOptions
) -> gcp.logging.ProjectBucketConfig:
    """The project's `_Default` log bucket with `logRetentionDays`. Every project has this
    bucket: the resource adopts it (and leaves it in place on `pulumi destroy`)."""
    return gcp.logging.ProjectBucketConfig(
        f"{name}-logs",
        project=settings.project,
        location="global",
        bucket_id=DEFAULT_BUCKET,
        retention_days=settings.log_retention_days,
        description=f"Crowdsource {pulumi.get_stack()}: logs kept {settings.log_retention_days} d",
        opts=opts,
    )
