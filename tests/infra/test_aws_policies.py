"""The AWS policies pass on both aws stacks, and each one catches a resource spoiled on purpose."""

from __future__ import annotations

import copy
import json
import runpy
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from infra.aws.policies import AWS_POLICIES
from infra.policies import ALL_POLICIES
from infra.policy import Resource, check_capture, evaluate, resources_of
from tests.infra.test_aws_stack import STACKS

Spoil = Callable[[list[Resource]], None]


@pytest.mark.parametrize("name", STACKS)
def test_aws_stacks_have_no_violations_of_any_policy(stack, name):
    assert check_capture(stack(name), ALL_POLICIES) == []


def _find(resources: list[Resource], type_token: str, name: str = "") -> dict:
    found = [r for r in resources if r.type == type_token and r.name.endswith(name)]
    assert found, (type_token, name)
    return found[0].props


def _policy_doc(props: dict) -> dict:
    return json.loads(props["policy"])


def _set_policy_doc(props: dict, document: dict) -> None:
    props["policy"] = json.dumps(document)


def _open_access_block(rs):
    block = _find(rs, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "recordings")
    block["blockPublicPolicy"] = False


def _drop_access_block(rs):
    rs.remove(next(r for r in rs if r.type.endswith("BucketPublicAccessBlock")))


def _drop_encryption(rs):
    rs.remove(next(r for r in rs if r.type.endswith("BucketServerSideEncryptionConfiguration")))


def _public_read(rs):
    props = _find(rs, "aws:s3/bucketPolicy:BucketPolicy", "dashboard")
    document = _policy_doc(props)
    document["Statement"].append(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    )
    _set_policy_doc(props, document)


def _cloudfront_without_source_arn(rs):
    props = _find(rs, "aws:s3/bucketPolicy:BucketPolicy", "dashboard")
    document = _policy_doc(props)
    for statement in document["Statement"]:
        if statement["Effect"] == "Allow":
            statement.pop("Condition", None)
    _set_policy_doc(props, document)


def _plain_http_viewers(rs):
    _find(rs, "aws:cloudfront/distribution:Distribution")["defaultCacheBehavior"][
        "viewerProtocolPolicy"
    ] = "allow-all"


def _origin_without_oac(rs):
    del _find(rs, "aws:cloudfront/distribution:Distribution")["origins"][0]["originAccessControlId"]


def _no_sqli_group(rs):
    acl = _find(rs, "aws:wafv2/webAcl:WebAcl", "cdn-waf")
    acl["rules"] = [r for r in acl["rules"] if r["name"] != "AWSManagedRulesSQLiRuleSet"]


def _rate_rule_only_counts(rs):
    acl = _find(rs, "aws:wafv2/webAcl:WebAcl", "alb-waf")
    acl["rules"][0]["action"] = {"count": {}}


def _alb_without_waf(rs):
    ingress = _find(rs, "kubernetes:networking.k8s.io/v1:Ingress")
    del ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/wafv2-acl-arn"]


def _cdn_without_waf(rs):
    del _find(rs, "aws:cloudfront/distribution:Distribution")["webAclId"]


def _public_database(rs):
    _find(rs, "aws:rds/instance:Instance")["publiclyAccessible"] = True


def _unencrypted_database(rs):
    _find(rs, "aws:rds/instance:Instance")["storageEncrypted"] = False


def _single_zone(rs):
    _find(rs, "aws:rds/instance:Instance")["multiAz"] = False


def _unprotected(rs):
    _find(rs, "aws:rds/instance:Instance")["deletionProtection"] = False


def _plain_secrets(rs):
    del _find(rs, "aws:eks/cluster:Cluster")["encryptionConfig"]


def _no_audit_log(rs):
    _find(rs, "aws:eks/cluster:Cluster")["enabledClusterLogTypes"] = ["api"]


def _mutable_tags(rs):
    _find(rs, "aws:ecr/repository:Repository")["imageTagMutability"] = "MUTABLE"


def _access_key(rs):
    rs.append(Resource("aws:iam/accessKey:AccessKey", "ci", {"user": "ci"}))


def _key_in_config_map(rs):
    _find(rs, "kubernetes:core/v1:ConfigMap", "crowdsource-config")["data"]["AWS_ACCESS_KEY_ID"] = (
        "from-a-file"
    )


def _key_in_env(rs):
    container = _find(rs, "kubernetes:apps/v1:Deployment")["spec"]["template"]["spec"][
        "containers"
    ][0]
    container["env"] = [
        {
            "name": "AWS_SECRET_ACCESS_KEY",
            "valueFrom": {"secretKeyRef": {"name": "keys", "key": "secret"}},
        }
    ]


def _key_id_in_settings(rs):
    _find(rs, "kubernetes:core/v1:ConfigMap", "crowdsource-config")["data"]["NOTE"] = (
        "AKIAIOSFODNN7EXAMPLE"
    )


def _every_bucket(rs):
    props = _find(rs, "aws:iam/rolePolicy:RolePolicy", "app")
    document = _policy_doc(props)
    document["Statement"][1]["Resource"] = ["arn:aws:s3:::*/*"]
    _set_policy_doc(props, document)


def _s3_star(rs):
    props = _find(rs, "aws:iam/rolePolicy:RolePolicy", "app")
    document = _policy_doc(props)
    document["Statement"][0]["Action"] = "s3:*"
    _set_policy_doc(props, document)


def _untagged_provider(rs):
    provider = _find(rs, "pulumi:providers:aws")
    provider["defaultTags"] = json.dumps({"tags": {"project": "crowdsource"}})


SPOILS: list[tuple[str, str, Spoil]] = [
    ("aws-dev", "aws-s3-no-public-bucket", _open_access_block),
    ("aws-dev", "aws-s3-no-public-bucket", _drop_access_block),
    ("aws-dev", "aws-s3-encrypted", _drop_encryption),
    ("aws-dev", "aws-s3-policy-private", _public_read),
    ("aws-dev", "aws-s3-policy-private", _cloudfront_without_source_arn),
    ("aws-dev", "aws-cloudfront-https-oac", _plain_http_viewers),
    ("aws-dev", "aws-cloudfront-https-oac", _origin_without_oac),
    ("aws-dev", "aws-waf-rules", _no_sqli_group),
    ("aws-prod", "aws-waf-rules", _rate_rule_only_counts),
    ("aws-prod", "aws-waf-attached", _alb_without_waf),
    ("aws-dev", "aws-waf-attached", _cdn_without_waf),
    ("aws-dev", "aws-rds-encrypted-private", _public_database),
    ("aws-prod", "aws-rds-encrypted-private", _unencrypted_database),
    ("aws-prod", "aws-rds-prod-protected", _single_zone),
    ("aws-prod", "aws-rds-prod-protected", _unprotected),
    ("aws-dev", "aws-eks-secrets-logs", _plain_secrets),
    ("aws-dev", "aws-eks-secrets-logs", _no_audit_log),
    ("aws-dev", "aws-ecr-immutable-scanned", _mutable_tags),
    ("aws-dev", "aws-no-static-keys", _access_key),
    ("aws-dev", "aws-no-static-keys", _key_in_config_map),
    ("aws-prod", "aws-no-static-keys", _key_in_env),
    ("aws-prod", "aws-no-static-keys", _key_id_in_settings),
    ("aws-dev", "aws-iam-s3-scoped", _every_bucket),
    ("aws-prod", "aws-iam-s3-scoped", _s3_star),
    ("aws-dev", "aws-default-tags", _untagged_provider),
]


@pytest.mark.parametrize(
    ("name", "policy", "spoil"), SPOILS, ids=[f"{p}-{s.__name__[1:]}" for _, p, s in SPOILS]
)
def test_each_aws_policy_catches_a_spoiled_resource(stack, name, policy, spoil):
    resources = copy.deepcopy(resources_of(stack(name)))
    spoil(resources)
    found = evaluate(resources, AWS_POLICIES)
    assert {v.policy for v in found} == {policy}, [str(v) for v in found]


def test_every_aws_policy_has_a_spoiled_case():
    assert {p.name for p in AWS_POLICIES} == {policy for _, policy, _ in SPOILS}


def test_a_dev_database_may_be_single_zone_and_unprotected(stack):
    resources = copy.deepcopy(resources_of(stack("aws-dev")))
    db = _find(resources, "aws:rds/instance:Instance")
    assert (db["multiAz"], db["deletionProtection"]) == (False, False)
    assert evaluate(resources, AWS_POLICIES) == []


def test_the_policy_pack_wires_the_aws_policies_through_the_same_functions(monkeypatch, stack):
    import pulumi_policy

    seen: dict = {}
    # Constructing a real PolicyPack starts its gRPC server: record the arguments instead.
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda name, **kw: seen.update(kw, name=name))
    runpy.run_path(str(Path(__file__).resolve().parents[2] / "infra/policy_pack/__main__.py"))
    by_name = {p.name: p for p in seen["policies"]}
    assert {p.name for p in AWS_POLICIES} <= set(by_name)
    assert len(by_name) == len(seen["policies"])

    resources = copy.deepcopy(resources_of(stack("aws-dev")))
    _open_access_block(resources)
    reports: list[str] = []
    args = SimpleNamespace(
        resources=[
            SimpleNamespace(resource_type=r.type, name=r.name, props=r.props) for r in resources
        ]
    )
    by_name["aws-s3-no-public-bucket"].validate(
        args, lambda message, urn=None: reports.append(message)
    )
    assert reports == [
        "recordings: public access block leaves blockPublicPolicy off",
        "3 buckets but 2 public access blocks: give each its own",
    ]
