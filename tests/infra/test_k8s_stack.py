"""The k8s stacks (dev, test, prod) under Pulumi's mocks: what `pulumi up` would create."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.capture import Capture, Registered, is_secret
from infra.k8s.config import ConfigError
from tests.infra.conftest import DB_PASSWORD, SECRET_KEY, build_stack

STACKS = ["dev", "test", "prod"]
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"


def pod_templates(cap: Capture) -> dict[str, dict[str, Any]]:
    """Every pod template the stack creates, by kind."""
    found = {}
    for r in cap.resources:
        spec = r.plain_inputs.get("spec", {})
        if r.type == CRON_JOB:
            found["CronJob"] = spec["jobTemplate"]["spec"]["template"]["spec"]
        elif r.type in (DEPLOYMENT, JOB, STATEFUL_SET):
            found[r.type.rsplit(":", 1)[1]] = spec["template"]["spec"]
    return found


def container(r: Registered) -> dict[str, Any]:
    spec = r.plain_inputs["spec"]
    if r.type == CRON_JOB:
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("name", STACKS)
def test_web_pods_have_liveness_and_readiness_probes(stack, name):
    web = container(stack(name).one(DEPLOYMENT))
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert web["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert web["command"] == ["gunicorn", "--config", "python:app.gunicorn_conf", "app.wsgi:app"]


@pytest.mark.parametrize(
    ("name", "cpu", "memory", "low", "high", "target", "workers"),
    [
        ("dev", "250m", "250Mi", 1, 10, 10, "1"),
        ("test", "2", "2Gi", 3, 10, 40, "4"),
        ("prod", "2", "2Gi", 3, 20, 40, "4"),
    ],
)
def test_presets_size_pods_and_autoscaler(stack, name, cpu, memory, low, high, target, workers):
    cap = stack(name)
    resources = container(cap.one(DEPLOYMENT))["resources"]
    assert resources["requests"] == {"cpu": cpu, "memory": memory}
    assert resources["limits"] == {"cpu": cpu, "memory": memory}
    hpa = cap.one(HPA).plain_inputs
    assert hpa["apiVersion"] == "autoscaling/v2"
    spec = hpa["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (low, high)
    assert spec["metrics"][0]["resource"] == {
        "name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": target},
    }
    assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    deployment = cap.one(DEPLOYMENT).plain_inputs
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    assert cap.one(CONFIG_MAP, "-config").plain_inputs["data"]["WEB_CONCURRENCY"] == workers


def test_size_overrides_win_over_the_preset():
    cap = build_stack("test", size={"maxReplicas": 30, "cpu": "1500m", "targetCpuPercent": 55})
    spec = cap.one(HPA).plain_inputs["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 30)
    assert spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 55
    assert container(cap.one(DEPLOYMENT))["resources"]["requests"]["cpu"] == "1500m"


@pytest.mark.parametrize("name", STACKS)
def test_dashboard_refresh_runs_every_four_hours_never_overlapping(stack, name):
    cap = stack(name)
    cron = cap.one(CRON_JOB).plain_inputs["spec"]
    assert cron["schedule"] == "0 */4 * * *"
    assert cron["concurrencyPolicy"] == "Forbid"
    assert cron["successfulJobsHistoryLimit"] <= 3 and cron["failedJobsHistoryLimit"] <= 3
    assert cron["jobTemplate"]["spec"]["backoffLimit"] == 2
    refresh, web = container(cap.one(CRON_JOB)), container(cap.one(DEPLOYMENT))
    assert refresh["command"][:2] == ["crowdsource", "refresh"]
    assert refresh["image"] == web["image"]
    assert refresh["envFrom"] == web["envFrom"]
    # REFRESH MATERIALIZED VIEW needs the views' owner: the CronJob logs in as the owner.
    assert env_of(refresh)["DB_USER"] == {"value": "crowdsource"}


def test_refresh_schedule_comes_from_config():
    cap = build_stack("dev", refreshSchedule="30 */2 * * *")
    assert cap.one(CRON_JOB).plain_inputs["spec"]["schedule"] == "30 */2 * * *"


def env_of(c: dict[str, Any]) -> dict[str, Any]:
    """A container's own env (which wins over envFrom), by name: {"value": …} or
    {"valueFrom": …}."""
    return {e["name"]: {k: v for k, v in e.items() if k != "name"} for e in c.get("env", [])}


@pytest.mark.parametrize("name", STACKS)
def test_migrations_run_as_a_job_before_the_rollout(stack, name):
    cap = stack(name)
    job = cap.one(JOB)
    pod = job.plain_inputs["spec"]["template"]["spec"]
    # Migrations first (an init container), then the app role and its grants.
    (migrate,) = pod["initContainers"]
    assert migrate["command"] == ["crowdsource", "migrate", "up"]
    assert container(job)["command"] == [
        "crowdsource", "db", "grant-app-role", "--role", "crowdsource_app",
    ]  # fmt: skip
    assert migrate["env"] == container(job)["env"]
    assert container(job)["image"] == container(cap.one(DEPLOYMENT))["image"]
    assert pod["restartPolicy"] == "Never"
    # The Deployment and the CronJob wait for the Job; the Job waits for its settings.
    assert job.urn in cap.one(DEPLOYMENT).dependencies
    assert job.urn in cap.one(CRON_JOB).dependencies
    for needed in (
        cap.one(CONFIG_MAP, "-config"),
        cap.one(SECRET, "-secrets"),
        cap.one(SECRET, "-db-owner"),
    ):
        assert needed.urn in job.dependencies


def secret_ref(secret: str, key: str) -> dict[str, Any]:
    return {"valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


@pytest.mark.parametrize("name", STACKS)
def test_web_pods_log_in_as_the_app_role_and_never_see_the_owner_password(stack, name):
    cap = stack(name)
    config = cap.one(CONFIG_MAP, "-config").plain_inputs["data"]
    web_secret = cap.one(SECRET, "-secrets").plain_inputs["stringData"]
    owner_secret = cap.one(SECRET, "-db-owner").plain_inputs["stringData"]
    assert config["DB_USER"] == "crowdsource_app"
    # The web pods read only the ConfigMap and the web Secret.
    web = container(cap.one(DEPLOYMENT))
    assert web["envFrom"] == [
        {"configMapRef": {"name": "crowdsource-config"}},
        {"secretRef": {"name": "crowdsource-secrets"}},
    ]
    assert "env" not in web
    assert web_secret["DB_PASS"] == owner_secret["DB_APP_PASS"], "the app role's password"
    assert owner_secret["DB_PASS"] not in json.dumps(web_secret)
    if name != "dev":
        assert owner_secret["DB_PASS"] == DB_PASSWORD
    assert len(web_secret["DB_PASS"]) >= 32
    # The Job logs in as the owner and holds the app role's password to set it; the CronJob
    # logs in as the owner (it refreshes the materialized views) without the app's password.
    job_env = env_of(container(cap.one(JOB)))
    assert job_env == {
        "DB_USER": {"value": "crowdsource"},
        "DB_PASS": secret_ref("crowdsource-db-owner", "DB_PASS"),
        "DB_APP_PASS": secret_ref("crowdsource-db-owner", "DB_APP_PASS"),
    }
    assert env_of(container(cap.one(CRON_JOB))) == {
        "DB_USER": {"value": "crowdsource"},
        "DB_PASS": secret_ref("crowdsource-db-owner", "DB_PASS"),
    }


def test_in_cluster_postgres_is_made_with_the_owner_password(stack):
    pg = container(stack("dev").one(STATEFUL_SET))
    assert env_of(pg)["POSTGRES_PASSWORD"] == secret_ref("crowdsource-db-owner", "DB_PASS")
    assert env_of(pg)["POSTGRES_USER"] == {"value": "crowdsource"}


def test_without_an_app_role_every_pod_logs_in_as_the_owner():
    database = {
        "host": "db.example.internal", "user": "owner", "sslmode": "require", "appUser": None,
    }  # fmt: skip
    cap = build_stack("test", database=database)
    assert cap.of_type(SECRET)[0].name == "crowdsource-secrets" and len(cap.of_type(SECRET)) == 1
    assert cap.one(CONFIG_MAP, "-config").plain_inputs["data"]["DB_USER"] == "owner"
    assert cap.one(SECRET).plain_inputs["stringData"]["DB_PASS"] == DB_PASSWORD
    assert container(cap.one(JOB))["command"] == ["crowdsource", "migrate", "up"]
    assert "initContainers" not in cap.one(JOB).plain_inputs["spec"]["template"]["spec"]
    assert "env" not in container(cap.one(CRON_JOB))


def test_a_new_image_makes_a_new_migration_job():
    same = {"databaseAppPassword": "app-password-kept-in-the-stack"}
    first = build_stack("test", **same).one(JOB).plain_inputs["metadata"]["name"]
    again = build_stack("test", **same).one(JOB).plain_inputs["metadata"]["name"]
    other = build_stack("test", image="ghcr.io/x/crowdsource@sha256:" + "a" * 64, **same)
    assert first == again
    assert other.one(JOB).plain_inputs["metadata"]["name"] != first


def test_a_new_app_role_password_reruns_the_job_then_rolls_the_web_pods():
    def build(password: str) -> tuple[str, str]:
        cap = build_stack("test", databaseAppPassword=password)
        template = cap.one(DEPLOYMENT).plain_inputs["spec"]["template"]
        annotation = template["metadata"]["annotations"]["crowdsource.dev/config-checksum"]
        name = cap.one(JOB).plain_inputs["metadata"]["name"]
        assert password not in name + annotation
        return name, annotation

    first = build("first-app-password-0123456789")
    assert build("first-app-password-0123456789") == first
    rotated = build("rotated-app-password-0123456789")
    assert rotated[0] != first[0] and rotated[1] != first[1]


@pytest.mark.parametrize("name", STACKS)
def test_every_pod_runs_hardened(stack, name):
    for kind, pod in pod_templates(stack(name)).items():
        assert pod["securityContext"]["runAsNonRoot"] is True, kind
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, kind
        assert pod["automountServiceAccountToken"] is False, kind
        for c in [*pod.get("initContainers", []), *pod["containers"]]:
            security = c["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, kind
            assert security["readOnlyRootFilesystem"] is True, kind
            assert security["capabilities"] == {"drop": ["ALL"]}, kind
            mounts = {m["mountPath"] for m in c["volumeMounts"]}
            assert "/tmp" in mounts, f"{kind}: a writable /tmp on a read-only root"
        empty_dirs = [v for v in pod["volumes"] if "emptyDir" in v]
        assert empty_dirs, kind


@pytest.mark.parametrize("name", STACKS)
def test_rollout_never_drops_below_capacity_and_spreads_across_zones(stack, name):
    spec = stack(name).one(DEPLOYMENT).plain_inputs["spec"]
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    keys = {c["topologyKey"] for c in spec["template"]["spec"]["topologySpreadConstraints"]}
    assert "topology.kubernetes.io/zone" in keys


@pytest.mark.parametrize("name", STACKS)
def test_no_secret_value_outside_the_secret(stack, name):
    cap = stack(name)
    secrets: set[str] = set()
    for secret in cap.of_type(SECRET):
        assert is_secret(secret.inputs["stringData"]), "Pulumi must treat the values as secret"
        secrets |= set(secret.plain_inputs["stringData"].values())
    values = cap.one(SECRET, "-secrets").plain_inputs["stringData"]
    assert values["SECRET_KEY"] == SECRET_KEY
    owner = cap.one(SECRET, "-db-owner").plain_inputs["stringData"]
    assert owner["DB_PASS"] == (DB_PASSWORD if name != "dev" else owner["DB_PASS"])
    for r in cap.resources:
        if r.type in (SECRET, "random:index/randomPassword:RandomPassword"):
            continue
        text = json.dumps(r.plain_inputs)
        for value in secrets:
            assert value not in text, f"a secret value appears in {r.type} {r.name}"
    for pod in pod_templates(cap).values():
        for c in pod["containers"]:
            for env in c.get("env", []):
                assert "value" not in env or env["name"] not in ("DB_PASS", "SECRET_KEY")


def test_dev_generates_its_secrets_when_none_are_set():
    cap = build_stack("dev", with_secrets=False)
    values = cap.one(SECRET, "-secrets").plain_inputs["stringData"]
    assert len(values["SECRET_KEY"]) >= 32 and len(values["DB_PASS"]) >= 32
    owner = cap.one(SECRET, "-db-owner").plain_inputs["stringData"]
    assert len(owner["DB_PASS"]) >= 32 and owner["DB_PASS"] != values["DB_PASS"]
    assert values["SECRET_KEY"] not in json.dumps(cap.one(CONFIG_MAP).plain_inputs)


@pytest.mark.parametrize("name", STACKS)
def test_disruption_budget_and_network_policy_are_present(stack, name):
    cap = stack(name)
    pdb = cap.one("kubernetes:policy/v1:PodDisruptionBudget").plain_inputs["spec"]
    assert pdb["maxUnavailable"] == 1
    web_labels = cap.one(DEPLOYMENT).plain_inputs["spec"]["selector"]["matchLabels"]
    assert pdb["selector"]["matchLabels"] == web_labels
    policy = cap.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policy")
    spec = policy.plain_inputs["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    # The ingress controller, then Prometheus (test_k8s_monitoring.py checks the scraper's rule).
    rule, _scraper = spec["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]
    egress_ports = {p["port"] for e in spec["egress"] for p in e["ports"]}
    assert egress_ports == {53, 5432, 443} if name != "dev" else egress_ports == {53, 5432}


def test_in_cluster_postgres_only_when_enabled(stack):
    assert stack("test").of_type(STATEFUL_SET) == []
    assert stack("prod").of_type(STATEFUL_SET) == []
    dev = stack("dev")
    pg = dev.one(STATEFUL_SET).plain_inputs["spec"]
    assert pg["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert dev.one(CONFIG_MAP).plain_inputs["data"]["DB_HOST"] == "crowdsource-postgres"
    assert dev.one(STATEFUL_SET).urn in dev.one(JOB).dependencies


def test_ingress_takes_class_host_tls_and_an_upload_body_limit(stack):
    ingress = stack("prod").one("kubernetes:networking.k8s.io/v1:Ingress").plain_inputs
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["rules"][0]["host"] == "crowdsource.example.org"
    assert ingress["spec"]["tls"] == [
        {"hosts": ["crowdsource.example.org"], "secretName": "crowdsource-prod-tls"}
    ]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "6m"
    assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt"


def test_ingress_nginx_reads_each_request_body_whole_before_passing_it_on(stack):
    # A slow sender then holds a connection of nginx, not of gunicorn (issue 15).
    for name in ("dev", "test", "prod"):
        ingress = stack(name).one("kubernetes:networking.k8s.io/v1:Ingress").plain_inputs
        assert ingress["spec"]["ingressClassName"] == "nginx"
        annotations = ingress["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "on"
        assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "6m"  # 5 MB + 1


def test_service_account_carries_the_cloud_identity(stack):
    sa = stack("prod").one("kubernetes:core/v1:ServiceAccount").plain_inputs
    assert sa["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/crowdsource-prod-app"
    }
    assert sa["automountServiceAccountToken"] is False


def test_settings_reach_the_config_map(stack):
    data = stack("prod").one(CONFIG_MAP, "-config").plain_inputs["data"]
    assert data["STORAGE_BACKEND"] == "s3"
    assert data["BUCKET_NAME"] == "crowdsource-prod-recordings"
    assert data["DB_SSLMODE"] == "verify-full"
    assert data["CDN_BASE_URL"] == "https://dashboard.crowdsource.example.org"
    assert "DB_PASS" not in data and "SECRET_KEY" not in data


def test_stack_outputs_say_where_the_app_is(stack):
    outputs = stack("prod").stack_outputs
    assert outputs["url"] == "https://crowdsource.example.org/"
    assert outputs["namespace"] == "crowdsource"
    assert outputs["migrationJob"].startswith("crowdsource-migrate-")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"image": None}, "crowdsource:image: required"),
        ({"preset": "huge"}, "crowdsource:preset: 'huge' is not one of dev, test, prod"),
        ({"ingress": {"hostname": "x"}}, "crowdsource:ingress: unknown setting 'hostname'"),
        ({"size": {"cpu": "lots"}}, "crowdsource:size.cpu: 'lots' is not a Kubernetes quantity"),
        ({"refreshSchedule": "every 4h"}, "crowdsource:refreshSchedule:"),
        ({"storage": {"backend": "s3"}}, "crowdsource:storage.bucket: required"),
        ({"target": "azure"}, "crowdsource:target: 'azure' is not one of k8s, aws, gcp"),
    ],
)
def test_bad_config_stops_with_the_key_named(overrides, message):
    with pytest.raises(ConfigError) as caught:
        build_stack("dev", **overrides)
    assert str(caught.value).startswith(message)


def test_external_database_needs_its_password():
    with pytest.raises(ConfigError, match="crowdsource:databasePassword: required"):
        build_stack("test", with_secrets=False)
