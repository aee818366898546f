"""The dashboard CDN: the dashboard bucket behind a backend bucket with Cloud CDN and an edge
security policy, on a global external Application Load Balancer with a Google-managed
certificate, and port 80 answering with a redirect to HTTPS."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.gcp.component import children_of
from infra.gcp.settings import GcpSettings

# The refresh job rewrites the JSON every few hours: a minute of staleness is plenty of caching.
CACHE_TTL_SECONDS = 60


@dataclass(frozen=True)
class DashboardCdnArgs:
    settings: GcpSettings  # cdnDomain
    bucket: gcp.storage.Bucket  # what it serves, at the site's root
    edge_policy: gcp.compute.SecurityPolicy  # a CLOUD_ARMOR_EDGE policy


class DashboardCdn(pulumi.ComponentResource):
    """Serves the dashboard bucket at https://<cdnDomain>/ through Cloud CDN."""

    address: gcp.compute.GlobalAddress
    url: str

    def __init__(self, name: str, args: DashboardCdnArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("crowdsource:gcp:DashboardCdn", name, None, opts)
        self.address = _build(
            name, args.settings, args.bucket, args.edge_policy, children_of(self, opts)
        )
        self.url = f"https://{args.settings.cdn_domain}"
        self.register_outputs({"address": self.address.address, "url": self.url})


def _build(
    name: str,
    settings: GcpSettings,
    bucket: gcp.storage.Bucket,
    edge_policy: gcp.compute.SecurityPolicy,
    opts: pulumi.ResourceOptions,
) -> gcp.compute.GlobalAddress:
    """Serves `bucket` at https://<cdnDomain>/ (the bucket's root is the site's root)."""
    backend = gcp.compute.BackendBucket(
        f"{name}-cdn-backend",
        name=f"{name}-dashboard",
        bucket_name=bucket.name,
        enable_cdn=True,
        cdn_policy=gcp.compute.BackendBucketCdnPolicyArgs(
            # FORCE_CACHE_ALL: everything in this bucket is public JSON, and CACHE_ALL_STATIC
            # would not count application/json as static. The TTLs bound staleness to a minute.
            cache_mode="FORCE_CACHE_ALL",
            default_ttl=CACHE_TTL_SECONDS,
            client_ttl=CACHE_TTL_SECONDS,
            serve_while_stale=300,  # keep answering from cache if the bucket is briefly slow
        ),
        compression_mode="AUTOMATIC",
        # The self link (not the id) so the policy check can tell which policy this is.
        edge_security_policy=edge_policy.self_link,
        opts=opts,
    )
    address = gcp.compute.GlobalAddress(
        f"{name}-cdn-ip", name=f"{name}-cdn", ip_version="IPV4", opts=opts
    )
    certificate = gcp.compute.ManagedSslCertificate(
        f"{name}-cdn-cert",
        # No fixed name: a new domain replaces the certificate, and Pulumi creates the new one
        # (under a new random suffix) before the proxy lets go of the old.
        managed=gcp.compute.ManagedSslCertificateManagedArgs(domains=[settings.cdn_domain]),
        opts=opts,
    )
    url_map = gcp.compute.URLMap(
        f"{name}-cdn-urlmap", name=f"{name}-cdn", default_service=backend.id, opts=opts
    )
    https_proxy = gcp.compute.TargetHttpsProxy(
        f"{name}-cdn-https",
        name=f"{name}-cdn",
        url_map=url_map.id,
        ssl_certificates=[certificate.id],
        opts=opts,
    )
    gcp.compute.GlobalForwardingRule(
        f"{name}-cdn-https-rule",
        name=f"{name}-cdn-https",
        target=https_proxy.id,
        ip_address=address.id,
        port_range="443",
        ip_protocol="TCP",
        load_balancing_scheme="EXTERNAL_MANAGED",
        opts=opts,
    )
    https_redirect(f"{name}-cdn", address, "EXTERNAL_MANAGED", opts)
    return address


def https_redirect(
    name: str, address: gcp.compute.GlobalAddress, scheme: str, opts: pulumi.ResourceOptions
) -> gcp.compute.GlobalForwardingRule:
    """Port 80 of `address` answering every request with a 301 to the same URL on HTTPS:
    nothing is served in clear text. `scheme` must match the HTTPS load balancer's."""
    redirect = gcp.compute.URLMap(
        f"{name}-redirect",
        name=f"{name}-redirect",
        default_url_redirect=gcp.compute.URLMapDefaultUrlRedirectArgs(
            https_redirect=True,
            redirect_response_code="MOVED_PERMANENTLY_DEFAULT",
            strip_query=False,
        ),
        opts=opts,
    )
    proxy = gcp.compute.TargetHttpProxy(
        f"{name}-http", name=f"{name}-http", url_map=redirect.id, opts=opts
    )
    return gcp.compute.GlobalForwardingRule(
        f"{name}-http-rule",
        name=f"{name}-http",
        target=proxy.id,
        ip_address=address.id,
        port_range="80",
        ip_protocol="TCP",
        load_balancing_scheme=scheme,
        opts=opts,
    )
