"""Logs on the aws stacks, each retained for a configured time: WAF logs of both web ACLs (the
CloudFront one in us-east-1), the ALB's access logs in a private bucket, VPC flow logs."""

from __future__ import annotations

import json

import pytest

from infra.capture import Capture
from infra.stacks import load_stack
from tests.infra.conftest import ROOT, build_stack

STACKS = ["aws-dev", "aws-prod"]
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
BUCKET = "aws:s3/bucket:Bucket"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ALB = "alb.ingress.kubernetes.io/"


def _config(name: str, key: str) -> object:
    return load_stack(ROOT, name).config[f"crowdsource:{key}"]


def _of_bucket(cap: Capture, type_token: str, logical_name: str) -> dict:
    bucket_id = f"{cap.one(BUCKET, logical_name).name}-id"  # what the mocks answer
    (found,) = [
        r.plain_inputs for r in cap.of_type(type_token) if r.plain_inputs["bucket"] == bucket_id
    ]
    return found


@pytest.mark.parametrize("name", STACKS)
def test_both_web_acls_log_to_retained_waf_log_groups(stack, name):
    cap = stack(name)
    retention = _config(name, "logRetentionDays")
    acls = {r.plain_inputs["scope"]: r.outputs["arn"] for r in cap.of_type(WEB_ACL)}
    groups = {r.outputs["arn"]: r.plain_inputs for r in cap.of_type(LOG_GROUP)}
    configs = {r.plain_inputs["resourceArn"]: r.plain_inputs for r in cap.of_type(WAF_LOGGING)}
    assert set(configs) == set(acls.values())
    for scope, arn in acls.items():
        (destination,) = configs[arn]["logDestinationConfigs"]
        group = groups[destination]
        assert group["name"].startswith("aws-waf-logs-")  # WAF accepts no other name
        assert group["retentionInDays"] == retention
        if scope == "CLOUDFRONT":  # a CloudFront ACL lives in us-east-1, and so its logs
            assert group["region"] == configs[arn]["region"] == "us-east-1"
            assert ":us-east-1:" in destination
        else:
            assert "region" not in group and "region" not in configs[arn]


@pytest.mark.parametrize("name", STACKS)
def test_alb_access_logs_go_to_a_private_retained_bucket(stack, name):
    cap = stack(name)
    bucket = cap.one(BUCKET, "logs-alb").outputs["bucket"]
    annotations = cap.one(INGRESS).plain_inputs["metadata"]["annotations"]
    attributes = dict(
        a.split("=", 1) for a in annotations[ALB + "load-balancer-attributes"].split(",")
    )
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == bucket
    prefix = attributes["access_logs.s3.prefix"]
    # The other attributes stay.
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"

    block = _of_bucket(cap, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "logs-alb")
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls"))
    encryption = _of_bucket(
        cap,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "logs-alb",
    )
    # ALB access logs support SSE-S3 only.
    assert encryption["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    lifecycle = _of_bucket(
        cap, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "logs-alb"
    )
    expiry = [r["expiration"]["days"] for r in lifecycle["rules"] if "expiration" in r]
    assert expiry == [_config(name, "accessLogRetentionDays")]

    policy = json.loads(_of_bucket(cap, "aws:s3/bucketPolicy:BucketPolicy", "logs-alb")["policy"])
    writes = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert {json.dumps(s["Principal"], sort_keys=True) for s in writes} == {
        json.dumps({"AWS": "arn:aws:iam::718504428378:root"}),  # ELB in ap-south-1 (mocked)
        json.dumps({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
    }
    for statement in writes:
        assert statement["Action"] == "s3:PutObject"
        assert statement["Resource"] == f"arn:aws:s3:::{bucket}/{prefix}/AWSLogs/123456789012/*"


@pytest.mark.parametrize("name", STACKS)
def test_the_app_waits_for_the_log_bucket_policy(name):
    """ELB checks that it may write to the bucket when the controller sets the attributes."""
    policy = "aws:s3/bucketPolicy:BucketPolicy"
    cap = build_stack(name, delays={policy: 1.0})
    (policy_at,) = [
        i for i, r in enumerate(cap.resources) if r.type == policy and r.name == "logs-alb"
    ]
    assert cap.resources.index(cap.one(INGRESS)) > policy_at


@pytest.mark.parametrize("name", STACKS)
def test_vpc_flow_logs_go_to_a_retained_log_group(stack, name):
    cap = stack(name)
    flow = cap.one("aws:ec2/flowLog:FlowLog").plain_inputs
    vpc = cap.one("aws:ec2/vpc:Vpc")
    assert flow["vpcId"] == f"{vpc.name}-id" and flow["trafficType"] == "ALL"
    assert flow["logDestinationType"] == "cloud-watch-logs"
    group = cap.one(LOG_GROUP, "logs-flow")
    assert flow["logDestination"] == group.outputs["arn"]
    assert group.plain_inputs["retentionInDays"] == _config(name, "logRetentionDays")
    role = cap.one("aws:iam/role:Role", "logs-flow")
    assert flow["iamRoleArn"] == role.outputs["arn"]
    (trust,) = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
