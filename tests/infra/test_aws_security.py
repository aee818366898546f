"""The aws stacks' data, edge and identity under Pulumi's mocks: RDS, the two buckets, CloudFront,
WAF, the app's IRSA policy, ECR, and no static AWS key anywhere."""

from __future__ import annotations

import json

import pytest

from infra.capture import is_secret, walk
from tests.infra.conftest import build_stack
from tests.infra.test_aws_stack import STACKS, document, id_of, props

RDS = "aws:rds/instance:Instance"
BUCKET = "aws:s3/bucket:Bucket"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
MANAGED_GROUPS = {
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
}


# RDS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "retention"), [("aws-dev", 1), ("aws-prod", 14)])
def test_postgres_16_is_encrypted_private_and_backed_up_as_configured(stack, name, retention):
    cap = stack(name)
    db = props(cap, RDS)
    assert (db["engine"], db["engineVersion"]) == ("postgres", "16")
    assert db["storageEncrypted"] is True
    assert db["kmsKeyId"] == cap.one("aws:kms/key:Key", "db-key").outputs["arn"]
    assert db["publiclyAccessible"] is False
    assert db["backupRetentionPeriod"] == retention
    assert db["performanceInsightsEnabled"] is True
    assert db["dbSubnetGroupName"] == cap.one("aws:rds/subnetGroup:SubnetGroup").outputs["name"]
    params = cap.one("aws:rds/parameterGroup:ParameterGroup")
    assert params.plain_inputs["family"] == "postgres16"
    assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "pending-reboot"} in (
        params.plain_inputs["parameters"]
    )
    assert db["parameterGroupName"] == params.outputs["name"]


@pytest.mark.parametrize("name", STACKS)
def test_the_master_password_is_generated_and_kept_secret(stack, name):
    inputs = stack(name).one(RDS).inputs
    assert is_secret(inputs["password"])
    assert len(inputs["password"]["value"]) == 40
    # Nowhere in the clear: every occurrence of the value in any input is wrapped as a secret.
    password = inputs["password"]["value"]
    for r in stack(name).resources:
        assert password not in [v for v in walk(r.inputs) if isinstance(v, str)], r.name


def test_prod_has_a_standby_deletion_protection_and_a_final_snapshot(stack):
    db = props(stack("aws-prod"), RDS)
    assert db["instanceClass"] == "db.m7g.xlarge"  # 4 vCPU, the original platform's size
    assert db["multiAz"] is True
    assert db["deletionProtection"] is True
    assert db["skipFinalSnapshot"] is False and db["finalSnapshotIdentifier"]


def test_dev_is_single_zone_and_removable(stack):
    db = props(stack("aws-dev"), RDS)
    assert (db["multiAz"], db["deletionProtection"], db["skipFinalSnapshot"]) == (
        False,
        False,
        True,
    )


def test_prod_defaults_to_the_seed_size_and_protection_when_the_keys_are_left_out():
    db = props(build_stack("aws-prod", rds={"allocatedStorageGb": 100}), RDS)
    assert (db["instanceClass"], db["multiAz"], db["deletionProtection"]) == (
        "db.m7g.xlarge",
        True,
        True,
    )


# S3 -------------------------------------------------------------------------------------


def _of_bucket(cap, type_token: str, bucket: str) -> dict:
    (found,) = [
        r.plain_inputs
        for r in cap.of_type(type_token)
        if r.plain_inputs["bucket"] == id_of(cap.one(BUCKET, bucket))
    ]
    return found


@pytest.mark.parametrize("bucket", ["recordings", "dashboard"])
@pytest.mark.parametrize("name", STACKS)
def test_no_bucket_is_public(stack, name, bucket):
    cap = stack(name)
    block = _of_bucket(cap, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block[flag] is True for flag in flags)
    ownership = _of_bucket(cap, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", bucket)
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    sse = _of_bucket(
        cap,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        bucket,
    )
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    policy = document(_of_bucket(cap, "aws:s3/bucketPolicy:BucketPolicy", bucket)["policy"])
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Deny" or statement["Principal"] != "*"
    deny = next(s for s in policy["Statement"] if s["Sid"] == "DenyInsecureTransport")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("name", STACKS)
def test_recordings_are_versioned_cors_limited_and_multipart_debris_expires(stack, name):
    cap = stack(name)
    versioning = _of_bucket(cap, "aws:s3/bucketVersioning:BucketVersioning", "recordings")
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    lifecycle = _of_bucket(
        cap, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "recordings"
    )
    rules = {rule["id"]: rule for rule in lifecycle["rules"]}
    abort = rules["abort-incomplete-multipart-uploads"]
    assert abort["status"] == "Enabled"
    assert abort["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    (cors,) = _of_bucket(
        cap, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "recordings"
    )["corsRules"]
    # The validate page plays presigned recordings: reads only, from the app's origin only.
    assert sorted(cors["allowedMethods"]) == ["GET", "HEAD"]
    assert cors["allowedOrigins"] == [cap.stack_outputs["url"].rstrip("/")]
    assert len(cap.of_type("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")) == 1


@pytest.mark.parametrize("name", STACKS)
def test_only_cloudfront_reads_the_dashboard_bucket_through_its_oac(stack, name):
    cap = stack(name)
    distribution = cap.one(DISTRIBUTION)
    policy = document(_of_bucket(cap, "aws:s3/bucketPolicy:BucketPolicy", "dashboard")["policy"])
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution.outputs["arn"]}}
    oac = cap.one("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert (
        oac.plain_inputs["originAccessControlOriginType"],
        oac.plain_inputs["signingBehavior"],
        oac.plain_inputs["signingProtocol"],
    ) == ("s3", "always", "sigv4")
    (origin,) = distribution.plain_inputs["origins"]
    assert origin["originAccessControlId"] == id_of(oac)
    bucket = cap.one(BUCKET, "dashboard").outputs
    assert origin["domainName"] == bucket["bucketRegionalDomainName"]


# CloudFront and WAF ---------------------------------------------------------------------


def test_only_the_apps_own_origin_may_read_the_dashboard_data_cross_origin(stack):
    """The home and dashboard pages fetch() the JSON from the CDN: CORS admits the app's
    origin (prod's domain over HTTPS) and no other site."""
    cap = stack("aws-prod")
    headers = cap.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    cors = headers.plain_inputs["corsConfig"]
    assert cors["accessControlAllowOrigins"]["items"] == ["https://crowdsource.example.org"]
    assert cors["accessControlAllowMethods"]["items"] == ["GET", "HEAD"]
    assert cors["accessControlAllowCredentials"] is False
    behavior = props(cap, DISTRIBUTION)["defaultCacheBehavior"]
    assert behavior["responseHeadersPolicyId"] == id_of(headers)
    other = build_stack("aws-prod", domain="data.example.net")
    cors = other.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").plain_inputs
    assert cors["corsConfig"]["accessControlAllowOrigins"]["items"] == ["https://data.example.net"]


@pytest.mark.parametrize("name", STACKS)
def test_cloudfront_redirects_to_https_with_a_short_ttl(stack, name):
    cap = stack(name)
    behavior = props(cap, DISTRIBUTION)["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "redirect-to-https"
    cache = cap.one("aws:cloudfront/cachePolicy:CachePolicy")
    assert behavior["cachePolicyId"] == id_of(cache)
    assert cache.plain_inputs["defaultTtl"] <= 60  # the manifest says max-age 60 itself


@pytest.mark.parametrize("name", STACKS)
def test_both_web_acls_apply_the_managed_groups_and_a_per_ip_rate_rule(stack, name):
    acls = {r.plain_inputs["scope"]: r.plain_inputs for r in stack(name).of_type(WEB_ACL)}
    assert set(acls) == {"REGIONAL", "CLOUDFRONT"}
    assert acls["CLOUDFRONT"]["region"] == "us-east-1"
    for acl in acls.values():
        assert acl["defaultAction"] == {"allow": {}}
        groups = {
            r["statement"]["managedRuleGroupStatement"]["name"]: r
            for r in acl["rules"]
            if "managedRuleGroupStatement" in r["statement"]
        }
        assert set(groups) == MANAGED_GROUPS
        assert all(r["overrideAction"] == {"none": {}} for r in groups.values())
        (rate,) = [r for r in acl["rules"] if "rateBasedStatement" in r["statement"]]
        assert rate["action"] == {"block": {}}
        assert rate["statement"]["rateBasedStatement"]["limit"] == 2000
        assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"


@pytest.mark.parametrize("name", STACKS)
def test_waf_guards_both_cloudfront_and_the_alb(stack, name):
    cap = stack(name)
    acls = {r.plain_inputs["scope"]: r.outputs["arn"] for r in cap.of_type(WEB_ACL)}
    assert props(cap, DISTRIBUTION)["webAclId"] == acls["CLOUDFRONT"]
    annotations = props(cap, "kubernetes:networking.k8s.io/v1:Ingress")["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"] == acls["REGIONAL"]


# Identity and registry ------------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_the_app_role_reaches_the_two_buckets_only(stack, name):
    cap = stack(name)
    recordings = cap.one(BUCKET, "recordings").outputs["arn"]
    dashboard = cap.one(BUCKET, "dashboard").outputs["arn"]
    policy = props(cap, "aws:iam/rolePolicy:RolePolicy", "app")
    assert policy["role"] == id_of(cap.one("aws:iam/role:Role", "app"))
    grants = {s["Sid"]: s for s in document(policy["policy"])["Statement"]}
    assert all(s["Effect"] == "Allow" for s in grants.values())
    resources = {r for s in grants.values() for r in s["Resource"]}
    assert resources == {recordings, dashboard, f"{recordings}/*", f"{dashboard}/*"}
    actions = {a for s in grants.values() for a in s["Action"]}
    assert all(a.startswith("s3:") and "*" not in a for a in actions)
    # Read and write recordings; only write (publish, prune) the dashboard.
    assert set(grants["RecordingsReadWrite"]["Action"]) >= {"s3:GetObject", "s3:PutObject"}
    assert "s3:GetObject" not in grants["DashboardPublish"]["Action"]


@pytest.mark.parametrize("name", STACKS)
def test_no_static_aws_key_exists_anywhere(stack, name):
    cap = stack(name)
    assert not cap.of_type("aws:iam/accessKey:AccessKey")
    provider = props(cap, "pulumi:providers:aws")
    assert "accessKey" not in provider and "secretKey" not in provider
    for obj in cap.kubernetes_objects():
        text = json.dumps(obj)
        assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    everything = json.dumps([r.plain_inputs for r in cap.resources])
    assert "AKIA" not in everything


@pytest.mark.parametrize("name", STACKS)
def test_the_registry_keeps_immutable_scanned_images(stack, name):
    repo = props(stack(name), "aws:ecr/repository:Repository")
    assert repo["name"] == f"crowdsource-{name}"
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    lifecycle = json.loads(props(stack(name), "aws:ecr/lifecyclePolicy:LifecyclePolicy")["policy"])
    assert [r["selection"]["tagStatus"] for r in lifecycle["rules"]] == ["untagged", "any"]
