"""WAFv2 web ACLs: one REGIONAL for the ALB, one CLOUDFRONT (which AWS keeps in us-east-1).

Each has the AWS managed rule groups for common exploits, known bad inputs and SQL injection,
and a per-IP rate limit that blocks. The ALB's ACL reaches the load balancer through the Ingress
annotation `alb.ingress.kubernetes.io/wafv2-acl-arn` (the controller owns the ALB); the CDN's is
set on the distribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

MANAGED_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
RATE_WINDOW_SECONDS = 300
# Recordings are uploaded through the ALB (up to MAX_UPLOAD_MB): the common rule set's 8 KB
# body limit would block every one, so that single rule only counts. The app limits sizes.
ALB_COUNT_ONLY = ("SizeRestrictions_BODY",)


Rule = aws.wafv2.WebAclRuleArgsDict


def _visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgsDict:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric,
        "sampled_requests_enabled": True,
    }


def _managed_rule(group: str, priority: int, count_only: Sequence[str]) -> Rule:
    statement: aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgsDict = {
        "vendor_name": "AWS",
        "name": group,
    }
    if group == "AWSManagedRulesCommonRuleSet" and count_only:
        statement["rule_action_overrides"] = [
            {"name": rule, "action_to_use": {"count": {}}} for rule in count_only
        ]
    return {
        "name": group,
        "priority": priority,
        # "none": the group's own actions (block) apply.
        "override_action": {"none": {}},
        "statement": {"managed_rule_group_statement": statement},
        "visibility_config": _visibility(group),
    }


def web_acl(
    name: str,
    *,
    scope: Literal["REGIONAL", "CLOUDFRONT"],
    rate_limit: int,
    metric_prefix: str,
    opts: pulumi.ResourceOptions,
) -> aws.wafv2.WebAcl:
    """A web ACL allowing by default, with the rate rule first and the managed groups after."""
    rules: list[Rule] = [
        {
            "name": "rate-limit-per-ip",
            "priority": 0,
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {
                    "limit": rate_limit,
                    "aggregate_key_type": "IP",
                    "evaluation_window_sec": RATE_WINDOW_SECONDS,
                }
            },
            "visibility_config": _visibility(f"{metric_prefix}-rate-limit"),
        },
        *(
            _managed_rule(group, priority, ALB_COUNT_ONLY if scope == "REGIONAL" else ())
            for priority, group in enumerate(MANAGED_GROUPS, start=1)
        ),
    ]
    return aws.wafv2.WebAcl(
        name,
        scope=scope,
        description=f"Crowdsource {scope.lower()} web ACL",
        default_action={"allow": {}},
        rules=rules,
        visibility_config=_visibility(metric_prefix),
        # CloudFront's web ACLs live in us-east-1 whatever the stack's region.
        region="us-east-1" if scope == "CLOUDFRONT" else None,
        opts=opts,
    )


@dataclass(frozen=True)
class WebAclsArgs:
    rate_limit: int  # requests per IP per 5 minutes
    metric_prefix: str  # the cluster's name


class WebAcls(pulumi.ComponentResource):
    """The two web ACLs: REGIONAL for the ALB, CLOUDFRONT (us-east-1) for the dashboard CDN."""

    def __init__(
        self, name: str, args: WebAclsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crowdsource:aws:WebAcls", name, None, opts)
        child = _moved_here(self)
        self.alb = web_acl(
            "alb-waf", scope="REGIONAL", rate_limit=args.rate_limit,
            metric_prefix=f"{args.metric_prefix}-alb", opts=child,
        )  # fmt: skip
        self.cdn = web_acl(
            "cdn-waf", scope="CLOUDFRONT", rate_limit=args.rate_limit,
            metric_prefix=f"{args.metric_prefix}-cdn", opts=child,
        )  # fmt: skip
        self.register_outputs({"alb": self.alb.arn, "cdn": self.cdn.arn})


def _moved_here(component: pulumi.ComponentResource) -> pulumi.ResourceOptions:
    """Children of `component` that were once created at the stack's root: the alias keeps a
    deployed stack's resources (no replacement)."""
    return pulumi.ResourceOptions(
        parent=component, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]
    )
