"""Rules for the AWS resources of a stack, as plain validator functions (infra/policy.py).

pytest runs them on captured stacks (tests/infra/test_aws_policies.py) and the pack in
infra/policy_pack/ runs the same functions in `pulumi preview --policy-pack infra/policy_pack`.
Props are camelCase inputs with secrets revealed. Documents that Pulumi passes as JSON text (IAM
and bucket policies, a provider's settings) are parsed here.

Tags: the program tags through the provider's `defaultTags` (the engine merges them into each
resource's `tagsAll`, so a resource's own `tags` input stays empty); the tag rule checks the
provider. Which stack is prod is read from the same tags: a `stack` tag ending in "prod".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from infra.policy import Policy, Resource

BUCKET = "aws:s3/bucket:Bucket"
ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
RDS = "aws:rds/instance:Instance"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ECR = "aws:ecr/repository:Repository"
EKS = "aws:eks/cluster:Cluster"
PROVIDER = "pulumi:providers:aws"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"

ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
MANAGED_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
WAF_ANNOTATION = "alb.ingress.kubernetes.io/wafv2-acl-arn"
EKS_LOG_TYPES = ("api", "audit", "authenticator")
REQUIRED_TAGS = ("project", "stack")
KEY_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
# An access key id as AWS prints it (long-term AKIA…, temporary ASIA…).
_KEY_ID = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")


def _json(value: Any) -> Any:
    """A document given as JSON text (or already parsed); {} when unreadable or unknown."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {}
    return value or {}


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = _json(document).get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _of(resources: Sequence[Resource], type_token: str) -> list[Resource]:
    return [r for r in resources if r.type == type_token]


# S3 ---------------------------------------------------------------------------------------


def check_no_public_bucket(resources: Sequence[Resource]) -> Iterable[str]:
    """Every bucket has its own public access block with all four flags on."""
    complete = 0
    for block in _of(resources, ACCESS_BLOCK):
        off = [flag for flag in ACCESS_FLAGS if block.props.get(flag) is not True]
        if off:
            yield f"{block.name}: public access block leaves {', '.join(off)} off"
        else:
            complete += 1
    buckets = _of(resources, BUCKET)
    if complete < len(buckets):
        yield f"{len(buckets)} buckets but {complete} public access blocks: give each its own"
    for bucket in buckets:
        if str(bucket.props.get("acl", "private")).startswith("public"):
            yield f"{bucket.name}: a public ACL"


def check_bucket_encryption(resources: Sequence[Resource]) -> Iterable[str]:
    """Every bucket has a default server-side encryption configuration."""
    configs = _of(resources, ENCRYPTION)
    for config in configs:
        for rule in config.props.get("rules") or [{}]:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            if default.get("sseAlgorithm") not in SSE_ALGORITHMS:
                yield f"{config.name}: no default encryption algorithm"
    if len(configs) < len(_of(resources, BUCKET)):
        yield "a bucket has no server-side encryption configuration"


def check_bucket_policy(props: dict[str, Any]) -> str | None:
    """No Allow to everyone; CloudFront reads only for one distribution (OAC + AWS:SourceArn)."""
    for statement in _statements(props.get("policy")):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*" or (
            isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))
        ):
            return 'an Allow statement for every principal ("*") makes the bucket public'
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if "cloudfront.amazonaws.com" in services:
            conditions = statement.get("Condition") or {}
            if not any("AWS:SourceArn" in (c or {}) for c in conditions.values()):
                return (
                    "CloudFront may read only for one distribution: add an AWS:SourceArn condition"
                )
    return None


# CloudFront and WAF ------------------------------------------------------------------------


def check_distribution(props: dict[str, Any]) -> str | None:
    """HTTPS for viewers; S3 origins read through an Origin Access Control."""
    behaviors = [
        props.get("defaultCacheBehavior") or {},
        *(props.get("orderedCacheBehaviors") or []),
    ]
    for behavior in behaviors:
        if behavior.get("viewerProtocolPolicy") not in ("redirect-to-https", "https-only"):
            return "viewers must be redirected to HTTPS"
    for origin in props.get("origins") or []:
        s3 = ".s3." in str(origin.get("domainName", "")) or origin.get("s3OriginConfig")
        if s3 and not origin.get("originAccessControlId"):
            return (
                f"origin {origin.get('originId')}: read the bucket through an Origin Access Control"
            )
    return None


def check_web_acl(props: dict[str, Any]) -> str | None:
    """The three AWS managed groups (applied, not counted) and a blocking per-IP rate rule."""
    rules = props.get("rules") or []
    applied = {
        (r.get("statement") or {}).get("managedRuleGroupStatement", {}).get("name")
        for r in rules
        if (r.get("overrideAction") or {}).get("none") is not None
    }
    missing = [group for group in MANAGED_GROUPS if group not in applied]
    if missing:
        return f"managed rule groups missing or count-only: {', '.join(missing)}"
    rate = [
        r
        for r in rules
        if "rateBasedStatement" in (r.get("statement") or {}) and "block" in (r.get("action") or {})
    ]
    if not rate or not all(
        r["statement"]["rateBasedStatement"].get("limit")
        and r["statement"]["rateBasedStatement"].get("aggregateKeyType") == "IP"
        for r in rate
    ):
        return "needs a blocking rate-based rule per IP (limit and aggregateKeyType IP)"
    if props.get("scope") == "CLOUDFRONT" and props.get("region") not in (None, "us-east-1"):
        return "a CLOUDFRONT web ACL lives in us-east-1"
    return None


def check_waf_attached(resources: Sequence[Resource]) -> Iterable[str]:
    """Every ALB (an `alb` Ingress) and every CloudFront distribution sits behind a web ACL."""
    associations = _of(resources, WEB_ACL_ASSOCIATION)
    for ingress in _of(resources, INGRESS):
        if (ingress.props.get("spec") or {}).get("ingressClassName") != "alb":
            continue
        annotations = (ingress.props.get("metadata") or {}).get("annotations") or {}
        if not annotations.get(WAF_ANNOTATION) and not associations:
            yield f"{ingress.name}: the ALB has no web ACL ({WAF_ANNOTATION})"
    distributions = _of(resources, DISTRIBUTION)
    for distribution in distributions:
        if not distribution.props.get("webAclId"):
            yield f"{distribution.name}: no web ACL (webAclId)"
    scopes = {acl.props.get("scope") for acl in _of(resources, WEB_ACL)}
    if distributions and "CLOUDFRONT" not in scopes:
        yield "CloudFront needs a web ACL of scope CLOUDFRONT"


# Database, cluster, registry -------------------------------------------------------------


def check_rds(props: dict[str, Any]) -> str | None:
    """Encrypted, private, with automated backups."""
    if props.get("storageEncrypted") is not True:
        return "storage must be encrypted (storageEncrypted)"
    if props.get("publiclyAccessible") is True:
        return "the database must not be publicly accessible"
    if int(props.get("backupRetentionPeriod") or 0) < 1:
        return "automated backups must be on (backupRetentionPeriod >= 1)"
    return None


def _stack_names(resources: Sequence[Resource]) -> set[str]:
    names = set()
    for provider in _of(resources, PROVIDER):
        tags = (_json(provider.props.get("defaultTags")) or {}).get("tags") or {}
        if tags.get("stack"):
            names.add(str(tags["stack"]))
    return names


def check_prod_rds(resources: Sequence[Resource]) -> Iterable[str]:
    """In a prod stack (provider tag `stack` ending in "prod"): multi-AZ and deletion protection."""
    if not any(name.endswith("prod") for name in _stack_names(resources)):
        return
    for db in _of(resources, RDS):
        if db.props.get("multiAz") is not True:
            yield f"{db.name}: a prod database needs a standby (multiAz)"
        if db.props.get("deletionProtection") is not True:
            yield f"{db.name}: a prod database needs deletionProtection"


def check_eks(props: dict[str, Any]) -> str | None:
    """Secrets envelope-encrypted with a KMS key; control-plane logs on."""
    encryption = props.get("encryptionConfig") or {}
    if "secrets" not in (encryption.get("resources") or []) or not (
        (encryption.get("provider") or {}).get("keyArn")
    ):
        return "encrypt Kubernetes secrets with a KMS key (encryptionConfig)"
    missing = [t for t in EKS_LOG_TYPES if t not in (props.get("enabledClusterLogTypes") or [])]
    if missing:
        return f"control-plane logs off: {', '.join(missing)}"
    return None


def check_ecr(props: dict[str, Any]) -> str | None:
    if props.get("imageTagMutability") != "IMMUTABLE":
        return "tags must be immutable (a digest always means one build)"
    if (props.get("imageScanningConfiguration") or {}).get("scanOnPush") is not True:
        return "images must be scanned on push"
    return None


# Identity -------------------------------------------------------------------------------


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _env_names(props: dict[str, Any]) -> Iterable[str]:
    spec = props.get("spec") or {}
    if "jobTemplate" in spec:
        spec = (spec["jobTemplate"] or {}).get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") or {}
    for container in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
        for env in container.get("env") or []:
            yield str(env.get("name", ""))


def check_no_static_keys(resources: Sequence[Resource]) -> Iterable[str]:
    """No IAM access key, no key in a provider, ConfigMap, Secret or env, no key id anywhere:
    pods use IRSA, `pulumi up` uses the operator's own short-lived credentials."""
    for r in resources:
        if r.type == ACCESS_KEY:
            yield f"{r.name}: a static IAM access key"
        elif r.type == PROVIDER and (r.props.get("accessKey") or r.props.get("secretKey")):
            yield f"{r.name}: the provider holds static credentials"
        elif r.type.startswith("kubernetes:"):
            keys = {**(r.props.get("data") or {}), **(r.props.get("stringData") or {})}
            named = [k for k in KEY_NAMES if k in keys or k in set(_env_names(r.props))]
            if named:
                yield f"{r.name}: {named[0]} (use IRSA)"
        if any(_KEY_ID.search(text) for text in _strings(r.props)):
            yield f"{r.name}: holds an AWS access key id"


def check_s3_grants_scoped(props: dict[str, Any]) -> str | None:
    """A role's S3 grants name their buckets: no `s3:*`, no `*` resource, no wildcard bucket."""
    for statement in _statements(props.get("policy")):
        actions = [str(a) for a in _as_list(statement.get("Action") or [])]
        if statement.get("Effect") != "Allow" or not any(
            a == "*" or a.startswith("s3:") for a in actions
        ):
            continue
        if any(a in ("*", "s3:*") for a in actions):
            return "grant named S3 actions, not s3:* or *"
        for resource in _as_list(statement.get("Resource") or []):
            bucket = str(resource).removeprefix("arn:aws:s3:::").split("/", 1)[0]
            if not str(resource).startswith("arn:aws:s3:::") or not bucket or "*" in bucket:
                return f"S3 access to {resource!r}: name the bucket"
    return None


def check_default_tags(props: dict[str, Any]) -> str | None:
    """An AWS provider tags what it creates with the project and the stack. (A resource check on
    the provider: the engine hands providers to resource policies; the tests check that every
    AWS resource goes through this one.)"""
    tags = (_json(props.get("defaultTags")) or {}).get("tags") or {}
    missing = [t for t in REQUIRED_TAGS if not tags.get(t)]
    return f"default tags lack {', '.join(missing)}" if missing else None


AWS_POLICIES = [
    Policy("aws-s3-no-public-bucket", "Every bucket blocks public access on all four flags.",
           check_stack=check_no_public_bucket),
    Policy("aws-s3-encrypted", "Every bucket encrypts objects at rest by default.",
           check_stack=check_bucket_encryption),
    Policy("aws-s3-policy-private", "Bucket policies allow no public principal; CloudFront reads "
           "only for its own distribution (OAC, AWS:SourceArn).", (BUCKET_POLICY,),
           check=check_bucket_policy),
    Policy("aws-cloudfront-https-oac", "CloudFront redirects viewers to HTTPS and reads S3 "
           "through an Origin Access Control.", (DISTRIBUTION,), check=check_distribution),
    Policy("aws-waf-rules", "Web ACLs apply the common, known-bad-inputs and SQL-injection "
           "managed groups and a per-IP rate rule.", (WEB_ACL,), check=check_web_acl),
    Policy("aws-waf-attached", "The ALB and CloudFront are each behind a web ACL.",
           check_stack=check_waf_attached),
    Policy("aws-rds-encrypted-private", "RDS is encrypted, private and backed up.", (RDS,),
           check=check_rds),
    Policy("aws-rds-prod-protected", "A prod database is multi-AZ with deletion protection.",
           check_stack=check_prod_rds),
    Policy("aws-eks-secrets-logs", "EKS encrypts secrets with KMS and logs its control plane.",
           (EKS,), check=check_eks),
    Policy("aws-ecr-immutable-scanned", "ECR tags are immutable and images scanned on push.",
           (ECR,), check=check_ecr),
    Policy("aws-no-static-keys", "No static AWS access keys anywhere: IRSA for pods.",
           check_stack=check_no_static_keys),
    Policy("aws-iam-s3-scoped", "IAM S3 grants name their buckets (the app's IRSA role: the "
           "recordings and dashboard buckets only).", (ROLE_POLICY,),
           check=check_s3_grants_scoped),
    Policy("aws-default-tags", "AWS resources are tagged with project and stack through the "
           "provider's default tags.", (PROVIDER,), check=check_default_tags),
]  # fmt: skip
