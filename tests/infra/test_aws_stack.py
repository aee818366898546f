"""The aws stacks (aws-dev, aws-prod) under Pulumi's mocks: the network, the EKS cluster on
Fargate with its add-ons, the app wired to what the program built, tags and stack outputs.
Data, edge and identity (RDS, S3, CloudFront, WAF, IAM, ECR): test_aws_security.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.capture import Capture, Registered
from infra.k8s.config import ConfigError
from tests.infra.conftest import build_stack

STACKS = ["aws-dev", "aws-prod"]
ZONES = {"ap-south-1a", "ap-south-1b", "ap-south-1c"}
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
NAT = "aws:ec2/natGateway:NatGateway"
EKS = "aws:eks/cluster:Cluster"
FARGATE = "aws:eks/fargateProfile:FargateProfile"
ROLE = "aws:iam/role:Role"
HELM = "kubernetes:helm.sh/v3:Release"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ALB = "alb.ingress.kubernetes.io/"


def document(value: Any) -> dict[str, Any]:
    """An IAM or bucket policy, given as JSON text."""
    return json.loads(value) if isinstance(value, str) else value


def props(cap: Capture, type_token: str, name: str | None = None) -> dict[str, Any]:
    return cap.one(type_token, name).plain_inputs


def id_of(r: Registered) -> str:
    return f"{r.name}-id"  # what the mocks answer (infra/capture.py)


def irsa_subject(role: dict[str, Any]) -> str:
    """The ServiceAccount a web-identity role trusts (system:serviceaccount:NS:NAME)."""
    (statement,) = document(role["assumeRolePolicy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    conditions = statement["Condition"]["StringEquals"]
    assert [v for k, v in conditions.items() if k.endswith(":aud")] == ["sts.amazonaws.com"]
    (subject,) = [v for k, v in conditions.items() if k.endswith(":sub")]
    return str(subject)


# Network --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_the_vpc_spans_three_zones_with_public_and_private_subnets(stack, name):
    cap = stack(name)
    subnets = [r.plain_inputs for r in cap.of_type(SUBNET)]
    public = [s for s in subnets if s["tags"].get("kubernetes.io/role/elb") == "1"]
    private = [s for s in subnets if s["tags"].get("kubernetes.io/role/internal-elb") == "1"]
    assert len(public) == len(private) == 3 and len(subnets) == 6
    assert {s["availabilityZone"] for s in public} == {s["availabilityZone"] for s in private}
    assert {s["availabilityZone"] for s in subnets} == ZONES
    assert not any(s.get("mapPublicIpOnLaunch") for s in subnets)
    cluster_tag = f"kubernetes.io/cluster/crowdsource-{name}"
    assert all(s["tags"][cluster_tag] == "shared" for s in subnets)


@pytest.mark.parametrize(("name", "nats"), [("aws-dev", 1), ("aws-prod", 3)])
def test_private_subnets_leave_through_nat(stack, name, nats):
    cap = stack(name)
    gateways = cap.of_type(NAT)
    assert len(gateways) == nats  # prod: one per zone, so losing a zone cuts no other off
    public_ids = {id_of(r) for r in cap.of_type(SUBNET) if "public" in r.name}
    assert {g.plain_inputs["subnetId"] for g in gateways} <= public_ids
    private_tables = [r.plain_inputs for r in cap.of_type(ROUTE_TABLE) if "private" in r.name]
    assert len(private_tables) == 3
    for table in private_tables:
        assert table["routes"] == [
            {"cidrBlock": "0.0.0.0/0", "natGatewayId": table["routes"][0]["natGatewayId"]}
        ]
    used = {t["routes"][0]["natGatewayId"] for t in private_tables}
    assert used == {id_of(g) for g in gateways}


@pytest.mark.parametrize("name", STACKS)
def test_only_the_app_pods_reach_the_database(stack, name):
    cap = stack(name)
    app_pods = cap.one("aws:ec2/securityGroup:SecurityGroup", "app-pods")
    group = cap.one("aws:ec2/securityGroup:SecurityGroup", "db-sg")
    assert "ingress" not in group.plain_inputs  # no inline rules beside the one below
    (rule,) = [
        r.plain_inputs
        for r in cap.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    ]
    assert rule["securityGroupId"] == id_of(group)
    # The app pods' own group, not the cluster's (which every Fargate pod carries).
    assert rule["referencedSecurityGroupId"] == id_of(app_pods)
    assert (
        rule["referencedSecurityGroupId"]
        != cap.one(EKS).outputs["vpcConfig"]["clusterSecurityGroupId"]
    )
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 5432, 5432)
    assert "cidrIpv4" not in rule and "cidrIpv6" not in rule
    db = props(cap, "aws:rds/instance:Instance")
    assert db["vpcSecurityGroupIds"] == [id_of(group)]
    private_ids = sorted(id_of(r) for r in cap.of_type(SUBNET) if "private" in r.name)
    assert sorted(props(cap, "aws:rds/subnetGroup:SubnetGroup")["subnetIds"]) == private_ids


# EKS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_pods_run_on_fargate_in_private_subnets_with_coredns(stack, name):
    cap = stack(name)
    private_ids = sorted(id_of(r) for r in cap.of_type(SUBNET) if "private" in r.name)
    profiles = {p["fargateProfileName"]: p for p in (r.plain_inputs for r in cap.of_type(FARGATE))}
    assert {n: p["selectors"] for n, p in profiles.items()} == {
        "app": [{"namespace": "crowdsource"}],
        "system": [{"namespace": "kube-system"}],
    }
    assert all(sorted(p["subnetIds"]) == private_ids for p in profiles.values())
    coredns = props(cap, "aws:eks/addon:Addon", "coredns")
    assert coredns["addonName"] == "coredns"
    assert json.loads(coredns["configurationValues"]) == {"computeType": "Fargate"}


@pytest.mark.parametrize("name", STACKS)
def test_the_cluster_encrypts_secrets_logs_and_trusts_its_oidc_issuer(stack, name):
    cap = stack(name)
    cluster = cap.one(EKS)
    spec = cluster.plain_inputs
    assert spec["version"] == "1.35"
    assert spec["encryptionConfig"] == {
        "provider": {"keyArn": cap.one("aws:kms/key:Key", "eks-secrets").outputs["arn"]},
        "resources": ["secrets"],
    }
    assert set(spec["enabledClusterLogTypes"]) >= {"api", "audit", "authenticator"}
    assert spec["vpcConfig"]["endpointPrivateAccess"] is True
    log_group = props(cap, "aws:cloudwatch/logGroup:LogGroup", "eks-control-plane")
    assert log_group["name"] == f"/aws/eks/crowdsource-{name}/cluster"
    oidc = props(cap, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc["url"] == cluster.outputs["identities"][0]["oidcs"][0]["issuer"]
    assert oidc["clientIdLists"] == ["sts.amazonaws.com"]


@pytest.mark.parametrize("name", STACKS)
def test_metrics_server_and_the_load_balancer_controller_are_installed(stack, name):
    cap = stack(name)
    metrics = props(cap, HELM, "metrics-server")
    assert (metrics["chart"], metrics["namespace"]) == ("metrics-server", "kube-system")
    assert metrics["values"]["containerPort"] != 10250  # Fargate's kubelet holds 10250
    controller = props(cap, HELM, "lb-controller")
    assert controller["chart"] == "aws-load-balancer-controller"
    values = controller["values"]
    assert values["clusterName"] == f"crowdsource-{name}"
    assert (values["region"], values["vpcId"]) == ("ap-south-1", "network-id")
    role = cap.one(ROLE, "lb-controller")
    account = values["serviceAccount"]
    assert account["annotations"] == {"eks.amazonaws.com/role-arn": role.outputs["arn"]}
    assert irsa_subject(role.plain_inputs) == (
        f"system:serviceaccount:kube-system:{account['name']}"
    )


# The app on the cluster ----------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_the_ingress_becomes_an_alb_targeting_fargate_pod_ips_behind_waf(stack, name):
    cap = stack(name)
    ingress = props(cap, INGRESS)
    assert ingress["spec"]["ingressClassName"] == "alb"
    annotations = ingress["metadata"]["annotations"]
    assert annotations[ALB + "target-type"] == "ip"  # Fargate pods have no node port
    assert annotations[ALB + "scheme"] == "internet-facing"
    assert annotations[ALB + "healthcheck-path"] == "/readyz"
    regional = cap.one("aws:wafv2/webAcl:WebAcl", "alb-waf")
    assert regional.plain_inputs["scope"] == "REGIONAL"
    assert annotations[ALB + "wafv2-acl-arn"] == regional.outputs["arn"]


def test_prod_serves_https_with_the_configured_certificate_and_redirects_http(stack):
    cap = stack("aws-prod")
    annotations = props(cap, INGRESS)["metadata"]["annotations"]
    assert annotations[ALB + "certificate-arn"].startswith("arn:aws:acm:ap-south-1:")
    assert json.loads(annotations[ALB + "listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
    assert annotations[ALB + "ssl-redirect"] == "443"
    assert props(cap, INGRESS)["spec"]["rules"][0]["host"] == "crowdsource.example.org"


def test_dev_without_a_domain_listens_on_http_only(stack):
    annotations = props(stack("aws-dev"), INGRESS)["metadata"]["annotations"]
    assert json.loads(annotations[ALB + "listen-ports"]) == [{"HTTP": 80}]
    assert ALB + "certificate-arn" not in annotations


@pytest.mark.parametrize("name", STACKS)
def test_the_app_is_wired_to_the_database_buckets_cdn_and_region(stack, name):
    cap = stack(name)
    settings = props(cap, CONFIG_MAP, "crowdsource-config")["data"]
    db = cap.one("aws:rds/instance:Instance")
    assert settings["DB_HOST"] == db.outputs["address"]
    assert (settings["DB_SSLMODE"], settings["DB_NAME"]) == ("verify-full", "crowdsource")
    assert settings["STORAGE_BACKEND"] == "s3"
    assert (
        settings["BUCKET_NAME"] == cap.one("aws:s3/bucket:Bucket", "recordings").outputs["bucket"]
    )
    dashboard = cap.one("aws:s3/bucket:Bucket", "dashboard").outputs["bucket"]
    assert settings["DASHBOARD_BUCKET_NAME"] == dashboard
    cdn = cap.one("aws:cloudfront/distribution:Distribution").outputs["domainName"]
    assert settings["CDN_BASE_URL"] == f"https://{cdn}"
    assert settings["AWS_REGION"] == "ap-south-1"
    # The generated database password reaches the pods through the Secret, never the ConfigMap.
    in_secrets = [
        value
        for r in cap.of_type("kubernetes:core/v1:Secret")
        for value in (r.plain_inputs.get("stringData") or {}).values()
    ]
    assert db.plain_inputs["password"] in in_secrets
    assert db.plain_inputs["password"] not in json.dumps(settings)


@pytest.mark.parametrize("name", STACKS)
def test_the_app_service_account_assumes_the_app_role(stack, name):
    cap = stack(name)
    account = props(cap, "kubernetes:core/v1:ServiceAccount")
    role = cap.one(ROLE, "app")
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": role.outputs["arn"]}
    assert irsa_subject(role.plain_inputs) == "system:serviceaccount:crowdsource:crowdsource"


@pytest.mark.parametrize("name", STACKS)
def test_stack_outputs_say_where_everything_is(stack, name):
    cap = stack(name)
    out = cap.stack_outputs
    assert out["cdnUrl"] == "https://d111111abcdef8.cloudfront.net"
    assert out["databaseEndpoint"] == cap.one("aws:rds/instance:Instance").outputs["endpoint"]
    assert out["ecrRepositoryUrl"] == (
        f"123456789012.dkr.ecr.ap-south-1.amazonaws.com/crowdsource-{name}"
    )
    expected = (
        "https://crowdsource.example.org/"
        if name == "aws-prod"
        else "http://k8s-crowdsou-crowdsou-0a1b2c3d4e-1234567890.ap-south-1.elb.amazonaws.com/"
    )
    assert out["url"] == expected
    assert out["region"] == "ap-south-1"


# Tags and providers ---------------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_every_aws_resource_goes_through_the_tagged_provider(stack, name):
    cap = stack(name)
    provider = cap.one("pulumi:providers:aws")
    tags = json.loads(provider.plain_inputs["defaultTags"])["tags"]
    assert tags["project"] == "crowdsource" and tags["stack"] == name
    assert provider.plain_inputs["region"] == "ap-south-1"
    aws_resources = [r for r in cap.resources if r.type.startswith("aws:")]
    assert len(aws_resources) > 50
    assert {r.provider.rsplit("::", 1)[0] for r in aws_resources} == {provider.urn}
    k8s_provider = cap.one("pulumi:providers:kubernetes")
    kube = [r for r in cap.resources if r.type.startswith("kubernetes:")]
    assert {r.provider.rsplit("::", 1)[0] for r in kube} == {k8s_provider.urn}
    # The controller makes the ALB itself, so it is told the same tags.
    annotation = props(cap, INGRESS)["metadata"]["annotations"][ALB + "tags"]
    assert f"project=crowdsource,stack={name}" in annotation


# Config ---------------------------------------------------------------------------------


def test_a_key_the_aws_program_builds_itself_is_refused():
    with pytest.raises(ConfigError, match=r"crowdsource:database: the aws target builds this"):
        build_stack("aws-dev", database={"host": "db.example.org"})


def test_a_domain_without_a_certificate_is_refused():
    with pytest.raises(ConfigError, match=r"crowdsource:certificateArn: required with a domain"):
        build_stack("aws-prod", certificateArn=None)
