"""Logs an SRE needs after an incident, each kept for a configured time: WAF logs of both web
ACLs, the ALB's access logs and the VPC's flow logs.

- WAF sends its logs only to destinations named `aws-waf-logs-*`; a CLOUDFRONT-scope ACL lives
  in us-east-1, and so must its log group (`region=` on the resource: pulumi-aws v7 takes the
  region per resource, through the same tagged provider).
- The ALB is created by the load balancer controller: its access logs are switched on by the
  Ingress's load-balancer attributes (access_logs.s3.*), into a bucket whose policy lets the
  region's Elastic Load Balancing account (older regions) and log-delivery service (regions
  opened since 2022) write under the prefix. ALB access logs support SSE-S3 only (no KMS).
- Flow logs (accepted and rejected connections of the whole VPC) go to a log group through a
  role only the flow-logs service of this account may assume.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws.buckets import PrivateBucket
from infra.aws.iam import Statement

ALB_LOG_PREFIX = "alb"
CLOUDFRONT_REGION = "us-east-1"
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"


@dataclass(frozen=True)
class LogsArgs:
    name_prefix: str  # the cluster's name
    retention_days: int  # log groups: WAF and flow logs
    access_log_retention_days: int  # the ALB's access logs in S3
    force_destroy: bool  # an unprotected stack may delete the log bucket with its logs
    vpc_id: pulumi.Input[str]
    alb_web_acl_arn: pulumi.Input[str]
    cdn_web_acl_arn: pulumi.Input[str]


class Logs(pulumi.ComponentResource):
    """WAF log groups and logging configurations, the ALB access-log bucket, VPC flow logs."""

    def __init__(self, name: str, args: LogsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("crowdsource:aws:Logs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.waf_log_groups: list[aws.cloudwatch.LogGroup] = []
        for scope, acl_arn, region in (
            ("alb", args.alb_web_acl_arn, None),
            ("cdn", args.cdn_web_acl_arn, CLOUDFRONT_REGION),
        ):
            group = aws.cloudwatch.LogGroup(
                f"{name}-waf-{scope}",
                name=f"aws-waf-logs-{args.name_prefix}-{scope}",
                retention_in_days=args.retention_days,
                region=region,
                opts=child,
            )
            aws.wafv2.WebAclLoggingConfiguration(
                f"{name}-waf-{scope}",
                resource_arn=acl_arn,
                log_destination_configs=[group.arn],
                region=region,
                opts=child,
            )
            self.waf_log_groups.append(group)

        self.alb_bucket = PrivateBucket(
            f"{name}-alb",
            versioned=False,
            force_destroy=args.force_destroy,
            expire_after_days=args.access_log_retention_days,
            opts=child,
        )
        lookups = pulumi.InvokeOutputOptions(parent=self)
        self.alb_bucket_policy = self.alb_bucket.set_policy(
            alb_log_delivery(self.alb_bucket, lookups)
        )

        self.flow_log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow",
            name=f"/aws/vpc/{args.name_prefix}/flow-logs",
            retention_in_days=args.retention_days,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow",
            assume_role_policy=_flow_logs_trust(lookups),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow",
            role=role.id,
            policy=self.flow_log_group.arn.apply(_flow_logs_policy),
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow",
            vpc_id=args.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=600,
            opts=child,
        )
        self.register_outputs({"alb_log_bucket": self.alb_bucket.bucket.bucket})

    def alb_attributes(self) -> list[pulumi.Input[str]]:
        """The Ingress load-balancer attributes that switch the access logs on."""
        return [
            "access_logs.s3.enabled=true",
            pulumi.Output.concat("access_logs.s3.bucket=", self.alb_bucket.bucket.bucket),
            f"access_logs.s3.prefix={ALB_LOG_PREFIX}",
        ]


def alb_log_delivery(bucket: PrivateBucket, opts: pulumi.InvokeOutputOptions) -> list[Statement]:
    """Who may write the ALB's access logs: the region's ELB account and the log-delivery
    service, only under <prefix>/AWSLogs/<this account>/."""
    account = aws.get_caller_identity_output(opts=opts).account_id
    elb_account = aws.elb.get_service_account_output(opts=opts).arn
    objects = pulumi.Output.concat(bucket.bucket.arn, f"/{ALB_LOG_PREFIX}/AWSLogs/", account, "/*")
    return [
        {
            "Sid": "ElbAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": elb_account},
            "Action": "s3:PutObject",
            "Resource": objects,
        },
        {
            "Sid": "ElbLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": ELB_LOG_DELIVERY},
            "Action": "s3:PutObject",
            "Resource": objects,
        },
    ]


def _flow_logs_trust(opts: pulumi.InvokeOutputOptions) -> pulumi.Output[str]:
    """Only the flow-logs service, acting for this account, assumes the role."""
    account = aws.get_caller_identity_output(opts=opts).account_id
    return account.apply(
        lambda account_id: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                    }
                ],
            }
        )
    )


def _flow_logs_policy(log_group_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogGroups",
                        "logs:DescribeLogStreams",
                    ],
                    "Resource": [log_group_arn, f"{log_group_arn}:*"],
                }
            ],
        }
    )
