"""The gcp stacks (gcp-dev, gcp-prod) under Pulumi's mocks: what `pulumi up` would create on
Google Cloud, point by point as issue #8 lists it."""

from __future__ import annotations

import json
from typing import Any

import pulumi_gcp as gcp
import pytest

from infra.capture import Capture, Registered, is_secret, walk
from infra.k8s.config import ConfigError
from tests.infra.conftest import DB_PASSWORD, SECRET_KEY, build_stack

STACKS = ["gcp-dev", "gcp-prod"]
CLUSTER = "gcp:container/cluster:Cluster"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_IAM = "gcp:storage/bucketIAMMember:BucketIAMMember"
ARMOR = "gcp:compute/securityPolicy:SecurityPolicy"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
K8S_SA = "kubernetes:core/v1:ServiceAccount"
BACKEND_CONFIG = "kubernetes:cloud.google.com/v1:BackendConfig"


def props(cap: Capture, type_token: str, name: str | None = None) -> dict[str, Any]:
    return cap.one(type_token, name).plain_inputs


def by_name(cap: Capture, type_token: str) -> dict[str, dict[str, Any]]:
    """Resources of a type keyed by their cloud `name` input."""
    return {r.plain_inputs.get("name"): r.plain_inputs for r in cap.of_type(type_token)}


# --- network -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_the_vpc_has_one_subnetwork_with_ranges_for_pods_and_services(stack, name):
    cap = stack(name)
    vpc = props(cap, "gcp:compute/network:Network")
    assert vpc["autoCreateSubnetworks"] is False
    subnet = props(cap, "gcp:compute/subnetwork:Subnetwork")
    assert subnet["ipCidrRange"] == "10.10.0.0/20"
    assert subnet["privateIpGoogleAccess"] is True
    assert {r["rangeName"]: r["ipCidrRange"] for r in subnet["secondaryIpRanges"]} == {
        "pods": "10.16.0.0/14",
        "services": "10.20.0.0/20",
    }
    ranges = props(cap, CLUSTER)["ipAllocationPolicy"]
    assert ranges == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"}


@pytest.mark.parametrize("name", STACKS)
def test_private_nodes_reach_out_through_cloud_router_and_nat(stack, name):
    cap = stack(name)
    router = props(cap, "gcp:compute/router:Router")
    nat = props(cap, "gcp:compute/routerNat:RouterNat")
    assert nat["router"] == router["name"]
    assert nat["sourceSubnetworkIpRangesToNat"] == "ALL_SUBNETWORKS_ALL_IP_RANGES"
    assert nat["natIpAllocateOption"] == "AUTO_ONLY"


@pytest.mark.parametrize("name", STACKS)
def test_cloud_sql_gets_a_private_ip_through_private_service_access(stack, name):
    cap = stack(name)
    peering_range = props(cap, "gcp:compute/globalAddress:GlobalAddress", "services-range")
    assert peering_range["purpose"] == "VPC_PEERING"
    assert peering_range["addressType"] == "INTERNAL"
    assert (peering_range["address"], peering_range["prefixLength"]) == ("10.30.0.0", 16)
    connection = cap.one("gcp:servicenetworking/connection:Connection")
    assert connection.plain_inputs["service"] == "servicenetworking.googleapis.com"
    assert connection.plain_inputs["reservedPeeringRanges"] == [peering_range["name"]]
    # The instance waits for the peering: its private IP comes from that range.
    assert connection.urn in cap.one(SQL).dependencies


# --- GKE -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "channel", "protected"), [("gcp-dev", "REGULAR", False), ("gcp-prod", "STABLE", True)]
)
def test_gke_is_autopilot_with_private_nodes_and_workload_identity(stack, name, channel, protected):
    cluster = props(stack(name), CLUSTER)
    assert cluster["enableAutopilot"] is True
    assert cluster["location"] == "asia-south1"  # regional: control plane across zones
    assert cluster["releaseChannel"] == {"channel": channel}
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True
    project = "crowdsource-prod-project" if name == "gcp-prod" else "crowdsource-dev-project"
    assert cluster["workloadIdentityConfig"] == {"workloadPool": f"{project}.svc.id.goog"}
    assert cluster["deletionProtection"] is protected


def test_the_release_channel_comes_from_config():
    cap = build_stack("gcp-dev", gcp={**_gcp_config("gcp-dev"), "releaseChannel": "RAPID"})
    assert props(cap, CLUSTER)["releaseChannel"] == {"channel": "RAPID"}


def test_a_wrong_release_channel_stops_the_program_with_one_line():
    with pytest.raises(ConfigError, match=r"crowdsource:gcp.releaseChannel: 'WEEKLY' is not one"):
        build_stack("gcp-dev", gcp={**_gcp_config("gcp-dev"), "releaseChannel": "WEEKLY"})


@pytest.mark.parametrize("name", STACKS)
def test_nodes_run_as_their_own_least_privilege_account(stack, name):
    cap = stack(name)
    nodes = props(cap, "gcp:serviceaccount/account:Account", "nodes-sa")
    defaults = props(cap, CLUSTER)["clusterAutoscaling"]["autoProvisioningDefaults"]
    email = defaults["serviceAccount"]
    assert email.startswith(nodes["accountId"] + "@")
    role = props(cap, "gcp:projects/iAMMember:IAMMember", "nodes-role")
    assert (role["role"], role["member"]) == (
        "roles/container.defaultNodeServiceAccount",
        f"serviceAccount:{email}",
    )
    pull = props(cap, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
    assert (pull["role"], pull["member"]) == (
        "roles/artifactregistry.reader",
        f"serviceAccount:{email}",
    )


# --- Cloud SQL -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tier", "availability", "protected"),
    [
        ("gcp-dev", "db-custom-1-3840", "ZONAL", False),
        ("gcp-prod", "db-custom-4-16384", "REGIONAL", True),
    ],
)
def test_cloud_sql_is_postgres_16_sized_and_protected_by_config(
    stack, name, tier, availability, protected
):
    sql = props(stack(name), SQL)
    assert sql["databaseVersion"] == "POSTGRES_16"
    settings = sql["settings"]
    assert settings["tier"] == tier
    assert settings["edition"] == "ENTERPRISE"  # custom tiers exist only in Enterprise
    assert settings["availabilityType"] == availability
    assert sql["deletionProtection"] is protected
    assert settings["deletionProtectionEnabled"] is protected


@pytest.mark.parametrize("name", STACKS)
def test_cloud_sql_is_private_only_and_refuses_unencrypted_connections(stack, name):
    ip = props(stack(name), SQL)["settings"]["ipConfiguration"]
    assert ip["ipv4Enabled"] is False
    assert ip["privateNetwork"]
    assert "authorizedNetworks" not in ip
    assert ip["sslMode"] == "ENCRYPTED_ONLY"


@pytest.mark.parametrize(("name", "retained"), [("gcp-dev", 7), ("gcp-prod", 30)])
def test_cloud_sql_backs_up_daily_with_point_in_time_recovery(stack, name, retained):
    backups = props(stack(name), SQL)["settings"]["backupConfiguration"]
    assert backups["enabled"] is True
    assert backups["pointInTimeRecoveryEnabled"] is True
    assert backups["backupRetentionSettings"] == {
        "retainedBackups": retained,
        "retentionUnit": "COUNT",
    }


def test_the_sql_tier_comes_from_config():
    config = _gcp_config("gcp-dev")
    cap = build_stack(
        "gcp-dev", gcp={**config, "sql": {**config["sql"], "tier": "db-custom-2-7680"}}
    )
    assert props(cap, SQL)["settings"]["tier"] == "db-custom-2-7680"


@pytest.mark.parametrize("name", STACKS)
def test_the_database_password_is_generated_and_stays_secret(stack, name):
    cap = stack(name)
    generated = props(cap, "random:index/randomPassword:RandomPassword", "db-password")
    assert generated["length"] >= 32
    user = cap.one("gcp:sql/user:User")
    assert is_secret(user.inputs["password"])
    password = user.plain_inputs["password"]
    assert len(password) >= 32 and password != DB_PASSWORD  # not the config secret: generated
    # It reaches the pods only through a Kubernetes Secret, never in clear text elsewhere.
    for r in cap.resources:
        if r is user or r.type == "kubernetes:core/v1:Secret":
            continue
        plain = [v for v in walk(r.inputs) if not is_secret(v)]
        assert password not in map(str, plain), r.name
    secrets = [s.plain_inputs["stringData"] for s in cap.of_type("kubernetes:core/v1:Secret")]
    assert password in [s.get("DB_PASS") for s in secrets]


# --- buckets and CDN -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "days"), [("gcp-dev", 7), ("gcp-prod", 30)])
def test_the_recordings_bucket_is_private_versioned_and_pruned(stack, name, days):
    cap = stack(name)
    recordings = props(cap, BUCKET, "recordings")
    assert recordings["uniformBucketLevelAccess"] is True
    assert recordings["publicAccessPrevention"] == "enforced"
    assert recordings["versioning"] == {"enabled": True}
    assert recordings["location"] == "asia-south1"
    assert recordings["forceDestroy"] is False
    rules = {r["action"]["type"]: r["condition"] for r in recordings["lifecycleRules"]}
    assert rules["AbortIncompleteMultipartUpload"] == {"age": 1}
    assert rules["Delete"] == {"daysSinceNoncurrentTime": days, "withState": "ARCHIVED"}
    # Nobody outside the project may read it.
    grants = [g for g in cap.of_type(BUCKET_IAM) if g.plain_inputs["bucket"] == recordings["name"]]
    assert grants and all(
        g.plain_inputs["member"] not in ("allUsers", "allAuthenticatedUsers") for g in grants
    )


@pytest.mark.parametrize("name", STACKS)
def test_the_dashboard_bucket_is_served_by_cloud_cdn_behind_https(stack, name):
    cap = stack(name)
    dashboard = props(cap, BUCKET, "dashboard")
    assert dashboard["uniformBucketLevelAccess"] is True
    backend = props(cap, "gcp:compute/backendBucket:BackendBucket")
    assert backend["bucketName"] == dashboard["name"]
    assert backend["enableCdn"] is True
    assert backend["cdnPolicy"]["defaultTtl"] == 60
    url_map = props(cap, "gcp:compute/uRLMap:URLMap", "cdn-urlmap")
    # Mock ids are "<logical name>-id": each link below points at the resource before it.
    assert url_map["defaultService"] == f"crowdsource-{name}-cdn-backend-id"
    proxy = props(cap, "gcp:compute/targetHttpsProxy:TargetHttpsProxy")
    assert proxy["urlMap"] == f"crowdsource-{name}-cdn-urlmap-id"
    certificate = props(cap, "gcp:compute/managedSslCertificate:ManagedSslCertificate")
    domain = _gcp_config(name)["cdnDomain"]
    assert certificate["managed"] == {"domains": [domain]}
    assert proxy["sslCertificates"] == ["crowdsource-" + name + "-cdn-cert-id"]
    rules = by_name(cap, "gcp:compute/globalForwardingRule:GlobalForwardingRule")
    https = rules[f"crowdsource-{name}-cdn-https"]
    assert (https["portRange"], https["target"]) == ("443", f"crowdsource-{name}-cdn-https-id")
    assert https["loadBalancingScheme"] == "EXTERNAL_MANAGED"
    # Port 80 only redirects.
    redirect = props(cap, "gcp:compute/uRLMap:URLMap", "cdn-redirect")
    assert redirect["defaultUrlRedirect"]["httpsRedirect"] is True


@pytest.mark.parametrize("name", STACKS)
def test_the_cdn_backend_bucket_has_an_edge_security_policy(stack, name):
    cap = stack(name)
    backend = props(cap, "gcp:compute/backendBucket:BackendBucket")
    edge = by_name(cap, ARMOR)[backend["edgeSecurityPolicy"].rsplit("/", 1)[-1]]
    assert edge["type"] == "CLOUD_ARMOR_EDGE"


# --- Cloud Armor ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_cloud_armor_denies_owasp_attacks_and_throttles_each_client(stack, name):
    armor = props(stack(name), ARMOR, "armor")
    assert armor["type"] == "CLOUD_ARMOR"
    rules = sorted(armor["rules"], key=lambda r: r["priority"])
    waf = [r["match"]["expr"]["expression"] for r in rules if r["action"] == "deny(403)"]
    assert waf == [
        f"evaluatePreconfiguredWaf('{rule}-v33-stable', {{'sensitivity': 1}})"
        for rule in ("sqli", "xss", "lfi", "rce")
    ]
    (throttle,) = [r for r in rules if r["action"] == "throttle"]
    assert throttle["rateLimitOptions"] == {
        "conformAction": "allow",
        "exceedAction": "deny(429)",
        "enforceOnKey": "IP",
        "rateLimitThreshold": {"count": 600, "intervalSec": 60},
    }
    # WAF first, then the throttle, then the default allow.
    assert rules.index(throttle) == 4
    assert rules[-1]["priority"] == 2147483647 and rules[-1]["action"] == "allow"


@pytest.mark.parametrize("name", STACKS)
def test_cloud_armor_is_attached_through_the_backend_config_the_service_names(stack, name):
    cap = stack(name)
    service = props(cap, SERVICE)
    named = json.loads(service["metadata"]["annotations"]["cloud.google.com/backend-config"])
    config = props(cap, BACKEND_CONFIG)
    assert named == {"default": config["metadata"]["name"]}
    assert config["metadata"]["namespace"] == service["metadata"]["namespace"]
    assert config["spec"]["securityPolicy"] == {"name": props(cap, ARMOR, "armor")["name"]}
    assert config["spec"]["healthCheck"]["requestPath"] == "/readyz"
    # Container-native load balancing: the load balancer reaches pod IPs directly.
    assert json.loads(service["metadata"]["annotations"]["cloud.google.com/neg"]) == {
        "ingress": True
    }


def test_the_rate_limit_comes_from_config():
    config = _gcp_config("gcp-dev")
    cap = build_stack("gcp-dev", gcp={**config, "rateLimit": {"count": 100, "intervalSec": 10}})
    (throttle,) = [r for r in props(cap, ARMOR, "armor")["rules"] if r["action"] == "throttle"]
    assert throttle["rateLimitOptions"]["rateLimitThreshold"] == {"count": 100, "intervalSec": 10}


# --- registry and identities ---------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_artifact_registry_holds_docker_images_with_immutable_tags(stack, name):
    registry = props(stack(name), "gcp:artifactregistry/repository:Repository")
    assert registry["format"] == "DOCKER"
    assert registry["location"] == "asia-south1"
    assert registry["dockerConfig"] == {"immutableTags": True}


@pytest.mark.parametrize("name", STACKS)
def test_the_app_service_account_becomes_its_google_account_through_workload_identity(stack, name):
    cap = stack(name)
    account = cap.one("gcp:serviceaccount/account:Account", "app-sa")
    email = account.outputs["email"]
    ksa = props(cap, K8S_SA)
    assert ksa["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": email}
    binding = props(cap, "gcp:serviceaccount/iAMMember:IAMMember")
    project = _project(name)
    namespace, ksa_name = ksa["metadata"]["namespace"], ksa["metadata"]["name"]
    assert binding == {
        "serviceAccountId": account.outputs["name"],
        "role": "roles/iam.workloadIdentityUser",
        "member": f"serviceAccount:{project}.svc.id.goog[{namespace}/{ksa_name}]",
    }


@pytest.mark.parametrize("name", STACKS)
def test_the_app_account_has_object_access_on_the_two_buckets_only(stack, name):
    cap = stack(name)
    member = cap.one("gcp:serviceaccount/account:Account", "app-sa").outputs["member"]
    granted = [r for r in cap.resources if r.plain_inputs.get("member") == member]
    assert {r.type for r in granted} == {BUCKET_IAM}
    buckets = {b["name"] for b in by_name(cap, BUCKET).values()}
    assert len(buckets) == 2
    assert {(r.plain_inputs["bucket"], r.plain_inputs["role"]) for r in granted} == {
        (bucket, "roles/storage.objectAdmin") for bucket in buckets
    }


@pytest.mark.parametrize("name", STACKS)
def test_no_static_keys_exist_anywhere(stack, name):
    cap = stack(name)
    types = {r.type for r in cap.resources}
    assert "gcp:serviceaccount/key:Key" not in types
    assert "gcp:storage/hmacKey:HmacKey" not in types
    for obj in cap.kubernetes_objects():
        text = json.dumps(obj)
        assert "private_key" not in text and "GOOGLE_APPLICATION_CREDENTIALS" not in text
        assert "AWS_SECRET_ACCESS_KEY" not in text


# --- labels --------------------------------------------------------------------------------


def _gcp_class(type_token: str) -> type:
    module, name = type_token.split(":")[1].split("/")[0], type_token.rsplit(":", 1)[-1]
    return getattr(getattr(gcp, module), name)


def _ancestors(cap: Capture, r: Registered) -> list[str]:
    found, urn = [], r.parent
    while urn and any(x.urn == urn for x in cap.resources):
        parent = cap.by_urn(urn)
        found.append(parent.type)
        urn = parent.parent
    return found


@pytest.mark.parametrize("name", STACKS)
def test_every_labelable_resource_gets_the_default_labels(stack, name):
    cap = stack(name)
    (provider,) = cap.of_type("pulumi:providers:gcp")
    labels = {"project": "crowdsource", "stack": name}
    assert json.loads(provider.plain_inputs["defaultLabels"]) == labels
    labelable = [
        r
        for r in cap.resources
        if r.type.startswith("gcp:") and hasattr(_gcp_class(r.type), "effective_labels")
    ]
    assert len(labelable) >= 10
    # The provider labels what its resources create: each one descends from the component
    # that carries it (and none names another provider).
    for r in cap.resources:
        if r.type.startswith("gcp:"):
            assert "crowdsource:gcp:Environment" in _ancestors(cap, r), r.name
    # Cloud SQL's labels sit inside `settings`, out of the provider's reach: set there.
    assert props(cap, SQL)["settings"]["userLabels"].items() >= labels.items()


# --- the app on the cluster ----------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_the_app_runs_on_gke_with_gke_ingress_settings(stack, name):
    cap = stack(name)
    ingress = props(cap, INGRESS)
    annotations = ingress["metadata"]["annotations"]
    app_ip = props(cap, "gcp:compute/globalAddress:GlobalAddress", "app-ip")
    assert annotations["kubernetes.io/ingress.class"] == "gce"
    assert annotations["kubernetes.io/ingress.global-static-ip-name"] == app_ip["name"]
    certificate = props(cap, "kubernetes:networking.gke.io/v1:ManagedCertificate")
    assert annotations["networking.gke.io/managed-certificates"] == certificate["metadata"]["name"]
    assert certificate["spec"]["domains"] == [_gcp_config(name)["domain"]]
    assert ingress["spec"]["rules"][0]["host"] == _gcp_config(name)["domain"]
    assert "ingressClassName" not in ingress["spec"]
    # The component runs on the GKE provider made from the new cluster's kubeconfig.
    k8s_provider = cap.one("pulumi:providers:kubernetes")
    assert is_secret(k8s_provider.inputs["kubeconfig"])
    kubeconfig = json.loads(k8s_provider.plain_inputs["kubeconfig"])
    assert kubeconfig["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"


@pytest.mark.parametrize("name", STACKS)
def test_the_pods_use_gcs_cloud_sql_and_the_cdn(stack, name):
    cap = stack(name)
    data = props(cap, "kubernetes:core/v1:ConfigMap", "-config")["data"]
    assert data["STORAGE_BACKEND"] == "gcs"
    assert data["BUCKET_NAME"] == props(cap, BUCKET, "recordings")["name"]
    assert data["DASHBOARD_BUCKET_NAME"] == props(cap, BUCKET, "dashboard")["name"]
    assert data["CDN_BASE_URL"] == f"https://{_gcp_config(name)['cdnDomain']}"
    assert data["DB_HOST"] == "10.30.0.3"  # the instance's private IP
    secret = props(cap, "kubernetes:core/v1:Secret", "-secrets")["stringData"]
    assert secret["SECRET_KEY"] == SECRET_KEY
    # Egress to the database goes to the private service access range only.
    policy = props(cap, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policy")
    peers = [p for rule in policy["spec"]["egress"] for p in rule.get("to", [])]
    assert {"ipBlock": {"cidr": "10.30.0.0/16"}} in peers


@pytest.mark.parametrize("name", STACKS)
def test_the_stack_exports_where_everything_is(stack, name):
    outputs = stack(name).stack_outputs
    config = _gcp_config(name)
    assert outputs["appUrl"] == f"https://{config['domain']}/"
    assert outputs["cdnUrl"] == f"https://{config['cdnDomain']}/"
    assert outputs["databaseConnectionName"].startswith(f"{_project(name)}:asia-south1:")
    assert outputs["registryUrl"] == (
        f"asia-south1-docker.pkg.dev/{_project(name)}/crowdsource-{name}"
    )
    assert outputs["appAddress"] and outputs["cdnAddress"]


def _gcp_config(name: str) -> dict[str, Any]:
    from infra.stacks import load_stack
    from tests.infra.conftest import ROOT

    return dict(load_stack(ROOT, name).config["crowdsource:gcp"])


def _project(name: str) -> str:
    from infra.stacks import load_stack
    from tests.infra.conftest import ROOT

    return str(load_stack(ROOT, name).config["gcp:project"])
