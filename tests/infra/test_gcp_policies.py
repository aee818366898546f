"""The GCP policies pass on both gcp stacks, and each one catches a resource spoiled on purpose."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from infra.gcp.policies import GCP_POLICIES
from infra.k8s.policies import K8S_POLICIES
from infra.policy import Resource, evaluate, resources_of
from tests.infra.test_gcp_stack import STACKS

Spoil = Callable[[list[Resource]], None]


@pytest.mark.parametrize("name", STACKS)
def test_gcp_stacks_have_no_violations(stack, name):
    assert evaluate(resources_of(stack(name)), [*GCP_POLICIES, *K8S_POLICIES]) == []


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_gcp_policies_leave_k8s_stacks_alone(stack, name):
    assert evaluate(resources_of(stack(name)), GCP_POLICIES) == []


def _one(resources: list[Resource], type_token: str, suffix: str = "") -> Resource:
    (found,) = [r for r in resources if r.type == type_token and r.name.endswith(suffix)]
    return found


def _sql(resources: list[Resource]) -> dict:
    return _one(resources, "gcp:sql/databaseInstance:DatabaseInstance").props


def _armor(resources: list[Resource]) -> dict:
    return _one(resources, "gcp:compute/securityPolicy:SecurityPolicy", "armor").props


def _acl_bucket(rs):
    _one(rs, "gcp:storage/bucket:Bucket", "dashboard").props["uniformBucketLevelAccess"] = False


def _unprevented_recordings(rs):
    _one(rs, "gcp:storage/bucket:Bucket", "recordings").props["publicAccessPrevention"] = (
        "inherited"
    )


def _public_recordings(rs):
    grant = _one(rs, "gcp:storage/bucketIAMMember:BucketIAMMember", "app-recordings-access")
    rs.append(
        Resource(
            grant.type,
            "leak",
            {**grant.props, "member": "allUsers", "role": "roles/storage.objectViewer"},
        )
    )


def _public_ip_sql(rs):
    _sql(rs)["settings"]["ipConfiguration"]["ipv4Enabled"] = True


def _plain_sql(rs):
    _sql(rs)["settings"]["ipConfiguration"]["sslMode"] = "ALLOW_UNENCRYPTED_AND_ENCRYPTED"


def _no_pitr(rs):
    _sql(rs)["settings"]["backupConfiguration"]["pointInTimeRecoveryEnabled"] = False


def _zonal_prod(rs):
    _sql(rs)["settings"]["availabilityType"] = "ZONAL"


def _unprotected_prod_cluster(rs):
    _one(rs, "gcp:container/cluster:Cluster").props["deletionProtection"] = False


def _open_prod_api(rs):
    cluster = _one(rs, "gcp:container/cluster:Cluster").props
    cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"] = [{"cidrBlock": "0.0.0.0/0"}]


def _unnamed_prod_api(rs):
    del _one(rs, "gcp:container/cluster:Cluster").props["masterAuthorizedNetworksConfig"]


def _prod_backups_in_region(rs):
    sql = _sql(rs)
    sql["settings"]["backupConfiguration"]["location"] = sql["region"]


def _cdn_bucket_for_any_origin(rs):
    bucket = _one(rs, "gcp:storage/bucket:Bucket", "dashboard").props
    bucket["cors"][0]["origins"] = ["*"]


def _cdn_bucket_without_cors(rs):
    del _one(rs, "gcp:storage/bucket:Bucket", "dashboard").props["cors"]


def _no_xss_rule(rs):
    armor = _armor(rs)
    armor["rules"] = [r for r in armor["rules"] if "xss" not in json.dumps(r)]


def _no_throttle(rs):
    armor = _armor(rs)
    armor["rules"] = [r for r in armor["rules"] if r["action"] != "throttle"]


def _detached_armor(rs):
    config = _one(rs, "kubernetes:cloud.google.com/v1:BackendConfig").props
    del config["spec"]["securityPolicy"]


def _backend_policy_on_bucket(rs):
    backend = _one(rs, "gcp:compute/backendBucket:BackendBucket").props
    armor_name = _armor(rs)["name"]
    backend["edgeSecurityPolicy"] = (
        backend["edgeSecurityPolicy"].rsplit("/", 1)[0] + "/" + armor_name
    )


def _service_account_key(rs):
    rs.append(Resource("gcp:serviceaccount/key:Key", "app-key", {"serviceAccountId": "x"}))


def _key_file_in_secret(rs):
    secret = _one(rs, "kubernetes:core/v1:Secret", "-secrets").props
    secret["stringData"]["GCS_KEY"] = json.dumps({"type": "service_account", "private_key": "…"})


def _project_wide_storage(rs):
    member = _one(rs, "gcp:storage/bucketIAMMember:BucketIAMMember", "app-recordings-access")
    rs.append(
        Resource(
            "gcp:projects/iAMMember:IAMMember",
            "app-storage-admin",
            {"project": "p", "role": "roles/storage.admin", "member": member.props["member"]},
        )
    )


def _any_pod_may_impersonate(rs):
    binding = _one(rs, "gcp:serviceaccount/iAMMember:IAMMember").props
    binding["member"] = binding["member"].split("[")[0] + "[crowdsource/*]"


def _public_cluster_nodes(rs):
    _one(rs, "gcp:container/cluster:Cluster").props["privateClusterConfig"] = {}


def _no_workload_identity(rs):
    del _one(rs, "gcp:container/cluster:Cluster").props["workloadIdentityConfig"]


CASES: list[tuple[str, Spoil]] = [
    ("gcp-bucket-uniform-access", _acl_bucket),
    ("gcp-bucket-public-access-prevention", _unprevented_recordings),
    ("gcp-bucket-no-public-members", _public_recordings),
    ("gcp-sql-private-ssl", _public_ip_sql),
    ("gcp-sql-private-ssl", _plain_sql),
    ("gcp-sql-backups-pitr", _no_pitr),
    ("gcp-prod-protected", _zonal_prod),
    ("gcp-prod-protected", _unprotected_prod_cluster),
    ("gcp-prod-restricted", _open_prod_api),
    ("gcp-prod-restricted", _unnamed_prod_api),
    ("gcp-prod-restricted", _prod_backups_in_region),
    ("gcp-cdn-bucket-cors", _cdn_bucket_for_any_origin),
    ("gcp-cdn-bucket-cors", _cdn_bucket_without_cors),
    ("gcp-armor-waf-throttle", _no_xss_rule),
    ("gcp-armor-waf-throttle", _no_throttle),
    ("gcp-armor-attached", _detached_armor),
    ("gcp-backend-bucket-edge-policy", _backend_policy_on_bucket),
    ("gcp-no-static-keys", _service_account_key),
    ("gcp-no-static-keys", _key_file_in_secret),
    ("gcp-workload-identity-scoped", _project_wide_storage),
    ("gcp-workload-identity-scoped", _any_pod_may_impersonate),
    ("gcp-gke-private-workload-identity", _public_cluster_nodes),
    ("gcp-gke-private-workload-identity", _no_workload_identity),
]


@pytest.mark.parametrize(("policy", "spoil"), CASES, ids=[f"{p}-{s.__name__}" for p, s in CASES])
def test_each_gcp_policy_catches_a_bad_resource(stack, policy, spoil):
    resources = copy.deepcopy(resources_of(stack("gcp-prod")))
    spoil(resources)
    assert {v.policy for v in evaluate(resources, GCP_POLICIES)} == {policy}


def test_every_gcp_policy_has_a_case_that_it_catches():
    assert {p.name for p in GCP_POLICIES} == {policy for policy, _ in CASES}


def test_a_zonal_database_is_fine_outside_prod(stack):
    resources = copy.deepcopy(resources_of(stack("gcp-dev")))
    assert _sql(resources)["settings"]["availabilityType"] == "ZONAL"
    assert evaluate(resources, GCP_POLICIES) == []


def test_the_policy_pack_carries_the_gcp_policies():
    from infra.policies import ALL_POLICIES

    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names))
    assert {p.name for p in GCP_POLICIES} <= set(names)
