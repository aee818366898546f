"""Private S3 buckets: recordings (the app reads and writes them through IRSA) and the dashboard
JSON (the refresh job writes it, CloudFront reads it).

Every bucket blocks public access on all four flags, disables ACLs (owner enforced), encrypts
at rest (SSE-S3) and refuses requests without TLS. CORS only as the app needs: uploads go through
the app (no browser PUT), but the validate page plays recordings from presigned S3 URLs, so the
recordings bucket lets the app's own origin GET them; the dashboard is read through CloudFront,
whose response headers policy answers cross-origin requests.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from infra.aws.iam import Statement, document

# Parts of an interrupted multipart upload cost money and never become objects.
ABORT_MULTIPART_AFTER_DAYS = 7
# A deleted or replaced recording can be restored for this long (versioned buckets).
NONCURRENT_DAYS = 30


class PrivateBucket(pulumi.ComponentResource):
    """A bucket nobody outside the account can read. Call `set_policy` once, with any extra
    statements, to attach its bucket policy (S3 allows one per bucket)."""

    def __init__(
        self,
        name: str,
        *,
        versioned: bool,
        force_destroy: bool,
        expire_after_days: int | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("crowdsource:aws:PrivateBucket", name, None, opts)
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        # No `bucket` name: Pulumi adds a random suffix, so stacks and accounts never collide.
        self.bucket = aws.s3.Bucket(name, force_destroy=force_destroy, opts=child)
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            name,
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        # SSE-S3 rather than a KMS key: CloudFront's OAC and the app read objects without
        # needing kms:Decrypt grants, and S3 keys cost nothing per request.
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
            {
                "id": "abort-incomplete-multipart-uploads",
                "status": "Enabled",
                "filter": {},
                "abort_incomplete_multipart_upload": {
                    "days_after_initiation": ABORT_MULTIPART_AFTER_DAYS
                },
            }
        ]
        if expire_after_days is not None:  # logs: kept for a set time, then deleted
            rules.append(
                {
                    "id": "expire-objects",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": expire_after_days},
                }
            )
        lifecycle_opts = child
        if versioned:
            versioning = aws.s3.BucketVersioning(
                name,
                bucket=self.bucket.id,
                versioning_configuration={"status": "Enabled"},
                opts=child,
            )
            rules.append(
                {
                    "id": "expire-old-versions",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_DAYS},
                }
            )
            lifecycle_opts = pulumi.ResourceOptions(parent=self, depends_on=[versioning])
        aws.s3.BucketLifecycleConfiguration(
            name, bucket=self.bucket.id, rules=rules, opts=lifecycle_opts
        )
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})

    def allow_reads_from(self, origin: pulumi.Input[str]) -> aws.s3.BucketCorsConfiguration:
        """CORS: browsers on `origin` (the app) may GET and HEAD objects, nothing else."""
        return aws.s3.BucketCorsConfiguration(
            self._name,
            bucket=self.bucket.id,
            cors_rules=[
                {
                    "allowed_methods": ["GET", "HEAD"],
                    "allowed_origins": [origin],
                    # The audio element asks for byte ranges when the listener seeks.
                    "allowed_headers": ["Range"],
                    "expose_headers": ["Content-Length", "Content-Range", "ETag"],
                    "max_age_seconds": 3600,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def set_policy(self, extra: Sequence[Statement] = ()) -> aws.s3.BucketPolicy:
        """The bucket policy: deny any request without TLS, plus `extra` statements."""
        deny_plain_http: Statement = {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [self.bucket.arn, pulumi.Output.concat(self.bucket.arn, "/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        return aws.s3.BucketPolicy(
            self._name,
            bucket=self.bucket.id,
            policy=document([deny_plain_http, *extra]),
            # A policy naming a service principal counts as "public" until the block exists.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
