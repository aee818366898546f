"""Rules for the Google Cloud resources of a stack (infra/policy.py runs them in pytest and in the
policy pack). Each check reads the inputs as the engine sees them: camelCase, secrets revealed.

Stack-level checks do nothing on stacks without Google Cloud resources, since the policy pack
runs every target's rules on every stack.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from infra.policy import Policy, Resource

BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_IAM = (
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:storage/bucketIAMBinding:BucketIAMBinding",
)
BUCKET_IAM_POLICY = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
BACKEND_BUCKET = "gcp:compute/backendBucket:BackendBucket"
SECURITY_POLICY = "gcp:compute/securityPolicy:SecurityPolicy"
SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
CLUSTER = "gcp:container/cluster:Cluster"
SA_IAM_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
SA_IAM_BINDING = "gcp:serviceaccount/iAMBinding:IAMBinding"
GCP_PROVIDER = "pulumi:providers:gcp"
K8S_SERVICE = "kubernetes:core/v1:Service"
BACKEND_CONFIG = "kubernetes:cloud.google.com/v1:BackendConfig"
# Long-lived credentials: a key file or an HMAC key can leak; Workload Identity tokens expire.
KEY_TYPES = ("gcp:serviceaccount/key:Key", "gcp:storage/hmacKey:HmacKey")
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
SSL_MODES = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
WAF_RULE_SETS = ("sqli", "xss", "lfi", "rce")
# Roles on object data only; anything broader (storage.admin…) could change the bucket itself.
OBJECT_ROLES = (
    "roles/storage.objectViewer",
    "roles/storage.objectCreator",
    "roles/storage.objectUser",
    "roles/storage.objectAdmin",
)
# What a service-account key file looks like wherever it ends up.
_KEY_MARKERS = ('"private_key"', '"type": "service_account"', "BEGIN PRIVATE KEY")
_KEY_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
# One named Kubernetes ServiceAccount in one namespace: no wildcards, no principalSet.
_ONE_KSA = re.compile(r"^serviceAccount:[a-z0-9.:-]+\.svc\.id\.goog\[[a-z0-9-]+/[a-z0-9-]+\]$")


def _of(resources: Sequence[Resource], *types: str) -> list[Resource]:
    return [r for r in resources if r.type in types]


def _last_segment(reference: Any) -> str:
    """`projects/p/global/securityPolicies/x` or a self link → `x`."""
    return str(reference or "").rstrip("/").rsplit("/", 1)[-1]


def _members(props: dict[str, Any]) -> list[str]:
    return [str(m) for m in (props.get("member"), *(props.get("members") or [])) if m]


def _cdn_buckets(resources: Sequence[Resource]) -> set[str]:
    """Buckets served by a Cloud CDN backend bucket: public by design (the dashboard JSON)."""
    return {str(r.props.get("bucketName")) for r in _of(resources, BACKEND_BUCKET)}


def _is_recordings(bucket_name: str) -> bool:
    return bucket_name.endswith("-recordings")


# --- buckets -------------------------------------------------------------------------------


def check_uniform_access(props: dict[str, Any]) -> str | None:
    if props.get("uniformBucketLevelAccess") is not True:
        return "set uniformBucketLevelAccess: object ACLs bypass the bucket's IAM"
    return None


def check_public_access_prevention(resources: Sequence[Resource]) -> Iterable[str]:
    """Every bucket enforces public access prevention, except one a CDN backend bucket serves
    (a backend bucket reads objects anonymously). The recordings bucket never qualifies."""
    served = _cdn_buckets(resources)
    for r in _of(resources, BUCKET):
        name = str(r.props.get("name") or r.name)
        if r.props.get("publicAccessPrevention") == "enforced":
            continue
        if name in served and not _is_recordings(name):
            continue
        yield f"bucket {name}: publicAccessPrevention must be 'enforced'"


def check_no_public_members(resources: Sequence[Resource]) -> Iterable[str]:
    """allUsers / allAuthenticatedUsers only on a CDN-served bucket, never on recordings."""
    served = _cdn_buckets(resources)
    for r in _of(resources, *BUCKET_IAM):
        bucket = str(r.props.get("bucket") or "")
        public = [m for m in _members(r.props) if m in PUBLIC_MEMBERS]
        if public and (_is_recordings(bucket) or bucket not in served):
            yield f"{r.name}: {public[0]} may not read bucket {bucket}"
    for r in _of(resources, BUCKET_IAM_POLICY):
        bucket = str(r.props.get("bucket") or "")
        text = str(r.props.get("policyData") or "")
        if any(m in text for m in PUBLIC_MEMBERS) and (
            _is_recordings(bucket) or bucket not in served
        ):
            yield f"{r.name}: the IAM policy of bucket {bucket} grants public access"
    for bucket in served:
        if _is_recordings(bucket):
            yield f"bucket {bucket}: recordings may not sit behind a public CDN"


# --- Cloud SQL -----------------------------------------------------------------------------


def _sql_settings(props: dict[str, Any]) -> dict[str, Any]:
    return props.get("settings") or {}


def check_sql_private_ssl(props: dict[str, Any]) -> str | None:
    ip = _sql_settings(props).get("ipConfiguration") or {}
    if ip.get("ipv4Enabled") is not False:
        return "set ipConfiguration.ipv4Enabled: false (no public IP)"
    if not ip.get("privateNetwork"):
        return "set ipConfiguration.privateNetwork: the instance needs a private IP"
    if ip.get("authorizedNetworks"):
        return "authorizedNetworks open the public IP: remove them"
    if ip.get("sslMode") not in SSL_MODES:
        return f"ipConfiguration.sslMode must be one of {', '.join(SSL_MODES)}"
    return None


def check_sql_backups(props: dict[str, Any]) -> str | None:
    backups = _sql_settings(props).get("backupConfiguration") or {}
    if backups.get("enabled") is not True:
        return "enable automated backups (backupConfiguration.enabled)"
    if backups.get("pointInTimeRecoveryEnabled") is not True:
        return "enable point-in-time recovery (backupConfiguration.pointInTimeRecoveryEnabled)"
    return None


def _stack_label(resources: Sequence[Resource]) -> str:
    """The `stack` default label, from the Google provider (or a SQL instance's labels)."""
    for r in _of(resources, GCP_PROVIDER):
        labels = r.props.get("defaultLabels") or {}
        if isinstance(labels, str):  # provider inputs cross the wire as JSON text
            labels = json.loads(labels or "{}")
        if labels.get("stack"):
            return str(labels["stack"])
    for r in _of(resources, SQL_INSTANCE):
        stack = (_sql_settings(r.props).get("userLabels") or {}).get("stack")
        if stack:
            return str(stack)
    return ""


def check_prod_protected(resources: Sequence[Resource]) -> Iterable[str]:
    """On a prod stack (its `stack` label ends in "prod"): the database is REGIONAL with both
    deletion guards, and the cluster has deletion protection."""
    if not _stack_label(resources).endswith("prod"):
        return
    for r in _of(resources, SQL_INSTANCE):
        settings = _sql_settings(r.props)
        if settings.get("availabilityType") != "REGIONAL":
            yield f"{r.name}: a prod database must be REGIONAL (a standby in another zone)"
        if r.props.get("deletionProtection") is not True:
            yield f"{r.name}: set deletionProtection (Pulumi's guard) on a prod database"
        if settings.get("deletionProtectionEnabled") is not True:
            yield f"{r.name}: set settings.deletionProtectionEnabled (Google's guard)"
    for r in _of(resources, CLUSTER):
        if r.props.get("deletionProtection") is False:
            yield f"{r.name}: a prod cluster keeps deletionProtection"


def check_prod_restricted(resources: Sequence[Resource]) -> Iterable[str]:
    """On a prod stack: the cluster's API endpoint answers named networks only (none of them
    the whole internet, not every Google Cloud address), and the database's backups are kept
    outside its region."""
    if not _stack_label(resources).endswith("prod"):
        return
    for r in _of(resources, CLUSTER):
        authorized = r.props.get("masterAuthorizedNetworksConfig") or {}
        blocks = [str(b.get("cidrBlock")) for b in authorized.get("cidrBlocks") or []]
        if not blocks:
            yield f"{r.name}: a prod cluster names who may reach its API (authorized networks)"
        for block in blocks:
            if ipaddress.ip_network(block, strict=False).prefixlen == 0:
                yield f"{r.name}: {block} opens the prod cluster's API to everyone"
        if blocks and authorized.get("gcpPublicCidrsAccessEnabled") is not False:
            yield f"{r.name}: set gcpPublicCidrsAccessEnabled: false (not every Google address)"
    for r in _of(resources, SQL_INSTANCE):
        location = (_sql_settings(r.props).get("backupConfiguration") or {}).get("location")
        if not location or location == r.props.get("region"):
            yield f"{r.name}: keep a prod database's backups in another region (location)"


def check_cdn_bucket_cors(resources: Sequence[Resource]) -> Iterable[str]:
    """A bucket a CDN serves to the app's pages allows CORS from named https origins only."""
    served = _cdn_buckets(resources)
    for r in _of(resources, BUCKET):
        if str(r.props.get("name")) not in served:
            continue
        rules = r.props.get("cors") or []
        if not rules:
            yield f"{r.name}: the app's pages fetch() this bucket through the CDN: set cors"
        for rule in rules:
            for origin in rule.get("origins") or []:
                if not str(origin).startswith("https://") or "*" in str(origin):
                    yield f"{r.name}: CORS origin {origin!r} is not one https origin"


# --- Cloud Armor ---------------------------------------------------------------------------


def _expressions(props: dict[str, Any], action_prefix: str) -> list[str]:
    found = []
    for rule in props.get("rules") or []:
        if str(rule.get("action", "")).startswith(action_prefix):
            expr = ((rule.get("match") or {}).get("expr") or {}).get("expression")
            found.append(str(expr or ""))
    return found


def check_armor_rules(props: dict[str, Any]) -> str | None:
    """A backend policy denies the preconfigured WAF rule sets and throttles per client IP."""
    if props.get("type", "CLOUD_ARMOR") != "CLOUD_ARMOR":
        return None  # edge policies match on addresses only
    denials = _expressions(props, "deny")
    for rule_set in WAF_RULE_SETS:
        if not any(f"'{rule_set}-v33-" in e and "evaluatePreconfigured" in e for e in denials):
            return f"add a deny rule for the preconfigured WAF rule set {rule_set}-v33-stable"
    for rule in props.get("rules") or []:
        limits = rule.get("rateLimitOptions") or {}
        if rule.get("action") in ("throttle", "rate_based_ban") and limits.get(
            "enforceOnKey", "ALL"
        ) in ("IP", "XFF_IP"):
            return None
    return "add a throttle rule with rateLimitOptions.enforceOnKey IP"


def check_armor_attached(resources: Sequence[Resource]) -> Iterable[str]:
    """On GKE, the app Service names a BackendConfig whose securityPolicy is a backend
    (CLOUD_ARMOR) policy of the stack."""
    if not _of(resources, CLUSTER):
        return
    armor = {
        str(r.props.get("name"))
        for r in _of(resources, SECURITY_POLICY)
        if r.props.get("type", "CLOUD_ARMOR") == "CLOUD_ARMOR"
    }
    configs = {
        (c.props["metadata"].get("namespace"), c.props["metadata"].get("name")): c.props
        for c in _of(resources, BACKEND_CONFIG)
    }
    services = [s for s in _of(resources, K8S_SERVICE) if s.props.get("metadata")]
    if not services:
        yield "no Kubernetes Service to attach Cloud Armor to"
    for service in services:
        metadata = service.props["metadata"]
        raw = (metadata.get("annotations") or {}).get("cloud.google.com/backend-config")
        if not raw:
            yield f"Service {metadata.get('name')}: name a BackendConfig with Cloud Armor"
            continue
        names = json.loads(raw)
        for config_name in [names.get("default"), *(names.get("ports") or {}).values()]:
            if config_name is None:
                continue
            config = configs.get((metadata.get("namespace"), config_name))
            policy = ((config or {}).get("spec") or {}).get("securityPolicy") or {}
            if policy.get("name") not in armor:
                yield (
                    f"Service {metadata.get('name')}: BackendConfig {config_name} must name "
                    "a CLOUD_ARMOR security policy of the stack"
                )


def check_backend_bucket_edge_policy(resources: Sequence[Resource]) -> Iterable[str]:
    """A CDN backend bucket has an edge policy, and only a CLOUD_ARMOR_EDGE one (the API
    refuses the others, but only at deploy time)."""
    types = {str(r.props.get("name")): r.props.get("type") for r in _of(resources, SECURITY_POLICY)}
    for r in _of(resources, BACKEND_BUCKET):
        reference = r.props.get("edgeSecurityPolicy")
        if not reference:
            yield f"{r.name}: set edgeSecurityPolicy (a CLOUD_ARMOR_EDGE policy)"
            continue
        name = _last_segment(reference)
        if name in types and types[name] != "CLOUD_ARMOR_EDGE":
            yield f"{r.name}: {name} is {types[name] or 'CLOUD_ARMOR'}, not CLOUD_ARMOR_EDGE"


# --- identities ----------------------------------------------------------------------------


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)
    elif value is not None:
        yield str(value)


def check_no_static_keys(resources: Sequence[Resource]) -> Iterable[str]:
    """No service-account or HMAC keys, and no key file in a ConfigMap, Secret or pod env."""
    for r in _of(resources, *KEY_TYPES):
        key_kind = r.type.rsplit(":", 1)[-1]
        yield f"{r.name}: {key_kind} creates a long-lived key; use Workload Identity"
    for r in resources:
        if not r.type.startswith("kubernetes:"):
            continue
        kind = r.props.get("kind")
        if kind in ("ConfigMap", "Secret"):
            content = [r.props.get(k) for k in ("data", "stringData", "binaryData")]
            if any(marker in text for text in _texts(content) for marker in _KEY_MARKERS):
                yield f"{kind} {r.name} holds a service-account key"
        if _KEY_ENV in set(_texts(r.props)) or any(
            marker in text for text in _texts(r.props.get("spec")) for marker in _KEY_MARKERS
        ):
            yield f"{r.name}: pods must not use a key file ({_KEY_ENV})"


def _account_email(service_account_id: Any) -> str:
    return _last_segment(service_account_id)


def check_workload_identity_scoped(resources: Sequence[Resource]) -> Iterable[str]:
    """Each Google account that a Kubernetes ServiceAccount becomes is bound to one named
    ServiceAccount, and holds object roles on the stack's buckets and nothing else."""
    buckets = {str(r.props.get("name")) for r in _of(resources, BUCKET)}
    workload_accounts: set[str] = set()
    for r in _of(resources, SA_IAM_MEMBER, SA_IAM_BINDING):
        if r.props.get("role") != "roles/iam.workloadIdentityUser":
            continue
        workload_accounts.add(_account_email(r.props.get("serviceAccountId")))
        for member in _members(r.props):
            if not _ONE_KSA.match(member):
                yield f"{r.name}: {member} is not one Kubernetes ServiceAccount"
    for r in resources:
        if not r.type.startswith("gcp:") or r.type in (SA_IAM_MEMBER, SA_IAM_BINDING):
            continue
        members = [m.removeprefix("serviceAccount:") for m in _members(r.props)]
        for account in workload_accounts.intersection(members):
            if r.type not in BUCKET_IAM:
                yield f"{r.name}: the app's account {account} may only hold bucket roles"
            elif (bucket := r.props.get("bucket")) not in buckets:
                yield f"{r.name}: {account} reaches bucket {bucket}, outside the stack"
            elif r.props.get("role") not in OBJECT_ROLES:
                yield f"{r.name}: {r.props.get('role')} is more than object access"


# --- GKE -----------------------------------------------------------------------------------


def check_cluster_private_wi(props: dict[str, Any]) -> str | None:
    private = props.get("privateClusterConfig") or {}
    if private.get("enablePrivateNodes") is not True:
        return "set privateClusterConfig.enablePrivateNodes: nodes get no public IP"
    if not (props.get("workloadIdentityConfig") or {}).get("workloadPool"):
        return "set workloadIdentityConfig.workloadPool: pods use Workload Identity"
    return None


GCP_POLICIES = [
    Policy(
        "gcp-bucket-uniform-access",
        "Buckets use uniform bucket-level access (IAM only, no object ACLs).",
        (BUCKET,),
        check=check_uniform_access,
    ),
    Policy(
        "gcp-bucket-public-access-prevention",
        "Buckets enforce public access prevention, except the one a CDN backend bucket serves.",
        check_stack=check_public_access_prevention,
    ),
    Policy(
        "gcp-bucket-no-public-members",
        "No allUsers/allAuthenticatedUsers grant on a bucket, unless a CDN serves it; never on "
        "the recordings bucket.",
        check_stack=check_no_public_members,
    ),
    Policy(
        "gcp-sql-private-ssl",
        "Cloud SQL has a private IP only and refuses unencrypted connections.",
        (SQL_INSTANCE,),
        check=check_sql_private_ssl,
    ),
    Policy(
        "gcp-sql-backups-pitr",
        "Cloud SQL has automated backups and point-in-time recovery.",
        (SQL_INSTANCE,),
        check=check_sql_backups,
    ),
    Policy(
        "gcp-prod-protected",
        "On prod stacks the database is REGIONAL and deletion-protected, and so is the cluster.",
        check_stack=check_prod_protected,
    ),
    Policy(
        "gcp-prod-restricted",
        "On prod stacks the cluster's API answers named networks only (never 0.0.0.0/0) and "
        "the database's backups are kept in another region.",
        check_stack=check_prod_restricted,
    ),
    Policy(
        "gcp-cdn-bucket-cors",
        "A bucket a CDN serves allows CORS from named https origins only.",
        check_stack=check_cdn_bucket_cors,
    ),
    Policy(
        "gcp-armor-waf-throttle",
        "Backend Cloud Armor policies deny the SQLi, XSS, LFI and RCE rule sets and throttle "
        "per client IP.",
        (SECURITY_POLICY,),
        check=check_armor_rules,
    ),
    Policy(
        "gcp-armor-attached",
        "On GKE the app Service names a BackendConfig carrying a Cloud Armor backend policy.",
        check_stack=check_armor_attached,
    ),
    Policy(
        "gcp-backend-bucket-edge-policy",
        "CDN backend buckets carry a CLOUD_ARMOR_EDGE policy, and only that kind.",
        check_stack=check_backend_bucket_edge_policy,
    ),
    Policy(
        "gcp-no-static-keys",
        "No service-account or HMAC keys, and no key file in ConfigMaps, Secrets or pods.",
        check_stack=check_no_static_keys,
    ),
    Policy(
        "gcp-workload-identity-scoped",
        "The app's Google account is bound to one Kubernetes ServiceAccount and holds object "
        "roles on the stack's buckets only.",
        check_stack=check_workload_identity_scoped,
    ),
    Policy(
        "gcp-gke-private-workload-identity",
        "GKE clusters have private nodes and Workload Identity.",
        (CLUSTER,),
        check=check_cluster_private_wi,
    ),
]
