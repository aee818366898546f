"""CloudFront in front of the dashboard bucket.

The refresh job writes `public/dashboard/manifest.json` (max-age 60) and versioned files
(max-age one year, immutable) into the dashboard bucket; CloudFront serves the bucket at its
root, so `CDN_BASE_URL/public/dashboard/manifest.json` is that object. The cache honours the
objects' own Cache-Control, with 60 s when an object has none. CloudFront reads the private
bucket through an Origin Access Control (signed requests); the bucket policy admits only this
distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws.buckets import PrivateBucket
from infra.aws.iam import Statement
from infra.aws.settings import AwsSettings

ORIGIN_ID = "dashboard-bucket"
DEFAULT_TTL = 60
MAX_TTL = 31_536_000  # lets the immutable, versioned files stay cached as long as they say


@dataclass(frozen=True)
class DashboardCdnArgs:
    settings: AwsSettings
    bucket: PrivateBucket  # the dashboard bucket, read through the Origin Access Control
    web_acl_arn: pulumi.Input[str]  # the CLOUDFRONT-scope web ACL


class DashboardCdn(pulumi.ComponentResource):
    """Origin Access Control, cache and response-headers policies, and the distribution."""

    def __init__(
        self, name: str, args: DashboardCdnArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crowdsource:aws:DashboardCdn", name, None, opts)
        settings, bucket, web_acl_arn = args.settings, args.bucket, args.web_acl_arn
        child = pulumi.ResourceOptions(parent=self)
        access = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=f"{settings.cluster_name}-dashboard",
            description="CloudFront reads the dashboard bucket with signed requests",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        cache = aws.cloudfront.CachePolicy(
            f"{name}-cache",
            name=f"{settings.cluster_name}-dashboard",
            comment="Origin Cache-Control wins; 60 s when an object sets none",
            min_ttl=0,
            default_ttl=DEFAULT_TTL,
            max_ttl=MAX_TTL,
            parameters_in_cache_key_and_forwarded_to_origin={
                "cookies_config": {"cookie_behavior": "none"},
                "headers_config": {"header_behavior": "none"},
                "query_strings_config": {"query_string_behavior": "none"},
                "enable_accept_encoding_gzip": True,
                "enable_accept_encoding_brotli": True,
            },
            opts=child,
        )
        # The dashboard page (the app's origin) fetches the JSON from the CDN's origin: a
        # cross-origin GET, answered here. Public data, no credentials.
        origins = [f"https://{settings.domain}"] if settings.domain else ["*"]
        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-headers",
            name=f"{settings.cluster_name}-dashboard",
            comment="CORS for the dashboard page; security headers",
            cors_config={
                "access_control_allow_credentials": False,
                "access_control_allow_headers": {"items": ["Accept"]},
                "access_control_allow_methods": {"items": ["GET", "HEAD"]},
                "access_control_allow_origins": {"items": origins},
                "access_control_max_age_sec": 3600,
                "origin_override": True,
            },
            security_headers_config={
                "content_type_options": {"override": True},
                "strict_transport_security": {
                    "access_control_max_age_sec": 31_536_000,
                    "include_subdomains": False,
                    "override": True,
                },
            },
            opts=child,
        )
        self.distribution = aws.cloudfront.Distribution(
            name,
            enabled=True,
            comment=f"Crowdsource dashboard ({settings.stack})",
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=settings.cdn_price_class,
            origins=[
                {
                    "origin_id": ORIGIN_ID,
                    "domain_name": bucket.bucket.bucket_regional_domain_name,
                    "origin_access_control_id": access.id,
                    # No origin_path: the bucket's keys are the URL paths.
                }
            ],
            default_cache_behavior={
                "target_origin_id": ORIGIN_ID,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                "cached_methods": ["GET", "HEAD"],
                "compress": True,
                "cache_policy_id": cache.id,
                "response_headers_policy_id": headers.id,
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={"cloudfront_default_certificate": True},
            web_acl_id=web_acl_arn,  # WAFv2 takes the web ACL's ARN here, not its id
            opts=child,
        )
        self.domain_name = self.distribution.domain_name
        self.register_outputs({"domain_name": self.domain_name})

    def bucket_read_statement(self, bucket: PrivateBucket) -> Statement:
        """The bucket-policy statement letting this distribution, and nothing else, read."""
        return {
            "Sid": "CloudFrontReadsThroughOAC",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": pulumi.Output.concat(bucket.bucket.arn, "/*"),
            "Condition": {"StringEquals": {"AWS:SourceArn": self.distribution.arn}},
        }
