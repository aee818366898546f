"""What AWS would answer, for running the AWS program under Pulumi's mocks (infra/capture.py
merges OUTPUTS and CALLS). Values have the real shapes (ARNs, endpoints, the OIDC issuer) so that
the policies and IAM documents built from them read as they would after a real `pulumi up`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ACCOUNT = "123456789012"
REGION = "ap-south-1"  # the mock's answer for regional ARNs when a resource names no region

Outputs = dict[str, Any]


def _arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def _bucket(name: str, inputs: Outputs) -> Outputs:
    bucket = inputs.get("bucket") or f"{name}-a1b2c3d"  # Pulumi's auto-name adds a suffix
    return {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketRegionalDomainName": f"{bucket}.s3.{REGION}.amazonaws.com",
    }


def _auto_name(name: str, inputs: Outputs) -> Outputs:
    """Pulumi names a resource `<logical name>-<7 hex>` when the program gives no name; without
    it, a reference such as `subnet_group.name` would stay unknown under the mocks."""
    return {"name": inputs.get("name") or f"{name}-e5f6a7b"}


def _cluster(name: str, inputs: Outputs) -> Outputs:
    cluster = inputs.get("name", name)
    oidc_id = "EXAMPLED539D4633E53DE1B71EXAMPLE"
    return {
        "arn": _arn("eks", f"cluster/{cluster}"),
        "endpoint": f"https://{oidc_id}.gr7.{REGION}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{REGION}.amazonaws.com/id/{oidc_id}"}]}
        ],
        "vpcConfig": {**inputs.get("vpcConfig", {}), "clusterSecurityGroupId": "sg-0eks0cluster"},
    }


def _web_acl(name: str, inputs: Outputs) -> Outputs:
    if inputs.get("scope") == "CLOUDFRONT":
        return {"arn": _arn("wafv2", f"global/webacl/{name}/{name}-id", "us-east-1")}
    return {"arn": _arn("wafv2", f"regional/webacl/{name}/{name}-id")}


def _rds(name: str, inputs: Outputs) -> Outputs:
    identifier = inputs.get("identifier") or f"{name}-e5f6a7b"
    address = f"{name}.c9akciq32.{REGION}.rds.amazonaws.com"
    return {
        "address": address,
        "endpoint": f"{address}:{int(inputs.get('port', 5432))}",
        "arn": _arn("rds", f"db:{identifier}"),
        "identifier": identifier,
    }


def _alb_ingress(name: str, inputs: Outputs) -> Outputs:
    """The AWS Load Balancer Controller fills in an `alb` Ingress's status with the ALB's name."""
    if (inputs.get("spec") or {}).get("ingressClassName") != "alb":
        return {}
    host = f"k8s-crowdsou-crowdsou-0a1b2c3d4e-1234567890.{REGION}.elb.amazonaws.com"
    return {"status": {"loadBalancer": {"ingress": [{"hostname": host}]}}}


OUTPUTS: dict[str, Callable[[str, Outputs], Outputs]] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:eks/cluster:Cluster": _cluster,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:rds/instance:Instance": _rds,
    "aws:rds/subnetGroup:SubnetGroup": _auto_name,
    "aws:rds/parameterGroup:ParameterGroup": _auto_name,
    "aws:iam/role:Role": lambda name, inputs: {
        "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "name": name,
    },
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda name, inputs: {
        "arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/"
        + str(inputs.get("url", "")).removeprefix("https://"),
    },
    "aws:kms/key:Key": lambda name, inputs: {
        "arn": _arn(
            "kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab", inputs.get("region", REGION)
        ),
        "keyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda name, inputs: {
        "arn": _arn("logs", f"log-group:{inputs.get('name', name)}", inputs.get("region", REGION)),
    },
    "aws:sns/topic:Topic": lambda name, inputs: {
        "arn": _arn("sns", inputs.get("name", name)),
    },
    "aws:ec2/securityGroup:SecurityGroup": lambda name, inputs: {
        "arn": _arn("ec2", f"security-group/{name}-id"),
    },
    "aws:cloudfront/distribution:Distribution": lambda name, inputs: {
        "arn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2EXAMPLE{name.upper()[:4]}",
        "domainName": "d111111abcdef8.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",
    },
    "aws:ecr/repository:Repository": lambda name, inputs: {
        "arn": _arn("ecr", f"repository/{inputs.get('name', name)}"),
        "repositoryUrl": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{inputs.get('name', name)}",
    },
    "kubernetes:networking.k8s.io/v1:Ingress": _alb_ingress,
}

CALLS: dict[str, Callable[[Outputs], Outputs]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda args: {
        "names": [f"{REGION}a", f"{REGION}b", f"{REGION}c"],
        "zoneIds": ["aps1-az1", "aps1-az3", "aps1-az2"],
        "id": REGION,
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda args: {
        "accountId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:user/pulumi",
        "userId": "AIDAEXAMPLE",
    },
    "aws:index/getPartition:getPartition": lambda args: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
    },
    "aws:index/getRegion:getRegion": lambda args: {"name": REGION, "region": REGION},
    # The ALB the load balancer controller made for the Ingress, found by its fixed name.
    "aws:lb/getLoadBalancer:getLoadBalancer": lambda args: {
        "name": args.get("name", ""),
        "arn": _arn(
            "elasticloadbalancing", f"loadbalancer/app/{args.get('name')}/50dc6c495c0c9188"
        ),
        "arnSuffix": f"app/{args.get('name')}/50dc6c495c0c9188",
        "dnsName": f"{args.get('name')}-1234567890.{REGION}.elb.amazonaws.com",
    },
    # Elastic Load Balancing's account in ap-south-1 (writes ALB access logs).
    "aws:elb/getServiceAccount:getServiceAccount": lambda args: {
        "id": "718504428378",
        "arn": "arn:aws:iam::718504428378:root",
    },
}
