"""Cloud Armor: a backend policy for the app (WAF rules + per-IP throttle), attached through the
app Service's BackendConfig, and an edge policy for the CDN's backend bucket."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.gcp.settings import GcpSettings

# Google's preconfigured WAF rule sets (ModSecurity CRS 3.3), by what they stop.
WAF_RULES = ("sqli-v33-stable", "xss-v33-stable", "lfi-v33-stable", "rce-v33-stable")
# Without a sensitivity Cloud Armor runs every signature (level 4, paranoia level 4), which
# blocks ordinary text such as sentences with quotes; 1 is Google's recommended start.
WAF_SENSITIVITY = 1
DEFAULT_RULE_PRIORITY = 2147483647  # the lowest; Cloud Armor requires a rule here


def _allow_everything_else() -> gcp.compute.SecurityPolicyRuleArgs:
    return gcp.compute.SecurityPolicyRuleArgs(
        priority=DEFAULT_RULE_PRIORITY,
        action="allow",
        description="Default: allow what no rule above stopped",
        match=gcp.compute.SecurityPolicyRuleMatchArgs(
            versioned_expr="SRC_IPS_V1",
            config=gcp.compute.SecurityPolicyRuleMatchConfigArgs(src_ip_ranges=["*"]),
        ),
    )


def create_backend_policy(
    name: str, settings: GcpSettings, opts: pulumi.ResourceOptions
) -> gcp.compute.SecurityPolicy:
    """WAF denials first (403), then the per-IP throttle (429), then allow."""
    waf = [
        gcp.compute.SecurityPolicyRuleArgs(
            priority=1000 + i,
            action="deny(403)",
            description=f"Preconfigured WAF: {rule}",
            match=gcp.compute.SecurityPolicyRuleMatchArgs(
                expr=gcp.compute.SecurityPolicyRuleMatchExprArgs(
                    expression=(
                        f"evaluatePreconfiguredWaf('{rule}', {{'sensitivity': {WAF_SENSITIVITY}}})"
                    )
                )
            ),
        )
        for i, rule in enumerate(WAF_RULES)
    ]
    throttle = gcp.compute.SecurityPolicyRuleArgs(
        priority=2000,
        action="throttle",
        description=(
            f"At most {settings.rate_limit_count} requests per "
            f"{settings.rate_limit_interval_sec} s from one client address"
        ),
        match=gcp.compute.SecurityPolicyRuleMatchArgs(
            versioned_expr="SRC_IPS_V1",
            config=gcp.compute.SecurityPolicyRuleMatchConfigArgs(src_ip_ranges=["*"]),
        ),
        rate_limit_options=gcp.compute.SecurityPolicyRuleRateLimitOptionsArgs(
            conform_action="allow",
            exceed_action="deny(429)",
            enforce_on_key="IP",
            rate_limit_threshold=gcp.compute.SecurityPolicyRuleRateLimitOptionsRateLimitThresholdArgs(
                count=settings.rate_limit_count,
                interval_sec=settings.rate_limit_interval_sec,
            ),
        ),
    )
    return gcp.compute.SecurityPolicy(
        f"{name}-armor",
        name=f"{name}-app",
        type="CLOUD_ARMOR",
        description="Crowdsource app: OWASP rules and a per-IP request budget",
        rules=[*waf, throttle, _allow_everything_else()],
        opts=opts,
    )


def create_edge_policy(name: str, opts: pulumi.ResourceOptions) -> gcp.compute.SecurityPolicy:
    """Backend buckets accept only edge policies, which match on addresses and regions (no WAF
    rules: the bucket serves static JSON). It starts as allow-all; add IP or region deny rules
    here when abuse shows up, and they apply before the cache."""
    return gcp.compute.SecurityPolicy(
        f"{name}-edge",
        name=f"{name}-edge",
        type="CLOUD_ARMOR_EDGE",
        description="Crowdsource dashboard CDN: edge rules (before the cache)",
        rules=[_allow_everything_else()],
        opts=opts,
    )
