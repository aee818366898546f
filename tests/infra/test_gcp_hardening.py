"""What issue #17 asks of the gcp stacks beyond the first `up`: the dashboard readable from the
app's pages (CORS), TLS to Cloud SQL verified against the instance's CA, the cluster's API
endpoint and the backups' location set by config, with prod refusing the unsafe values."""

from __future__ import annotations

from typing import Any

import pytest

from infra.capture import Capture
from infra.gcp import database
from infra.gcp.mocks import SQL_SERVER_CA
from infra.k8s.config import ConfigError
from infra.stacks import load_stack
from infra.stand_ins import stand_ins
from tests.infra.conftest import ROOT, build_stack

STACKS = ["gcp-dev", "gcp-prod"]
BUCKET = "gcp:storage/bucket:Bucket"
BACKEND_BUCKET = "gcp:compute/backendBucket:BackendBucket"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
CLUSTER = "gcp:container/cluster:Cluster"


def _gcp(name: str) -> dict[str, Any]:
    """The stack file's gcp settings, its placeholders stood in for (infra/stand_ins.py)."""
    config = load_stack(ROOT, name).config
    return dict({**config, **stand_ins(config)}["crowdsource:gcp"])


def _props(cap: Capture, type_token: str, name: str | None = None) -> dict[str, Any]:
    return cap.one(type_token, name).plain_inputs


# --- the dashboard's CORS ------------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_the_app_pages_may_read_the_dashboard_json_from_the_cdn_host(stack, name):
    cap = stack(name)
    dashboard = _props(cap, BUCKET, "dashboard")
    # The pages run on https://<domain>/ and fetch() from https://<cdnDomain>/.
    assert dashboard["cors"] == [
        {
            "origins": [f"https://{_gcp(name)['domain']}"],
            "methods": ["GET", "HEAD"],
            "responseHeaders": ["Content-Type"],
            "maxAgeSeconds": 3600,
        }
    ]
    # The CDN serves that bucket; no custom header on the backend adds a second
    # Access-Control-Allow-Origin (browsers refuse two) or one for every origin.
    backend = _props(cap, BACKEND_BUCKET)
    assert backend["bucketName"] == dashboard["name"]
    assert not any(
        h.lower().startswith("access-control-") for h in backend.get("customResponseHeaders", [])
    )
    # The recordings bucket is never readable cross-origin.
    assert "cors" not in _props(cap, BUCKET, "recordings")


def test_the_cors_origin_follows_the_app_domain_and_nothing_else():
    config = _gcp("gcp-dev")
    cap = build_stack("gcp-dev", gcp={**config, "domain": "speak.example.net"})
    (rule,) = _props(cap, BUCKET, "dashboard")["cors"]
    assert rule["origins"] == ["https://speak.example.net"]
    assert "*" not in rule["origins"] and f"https://{config['cdnDomain']}" not in rule["origins"]


# --- TLS to Cloud SQL ----------------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_cloud_sql_takes_only_tls_and_signs_with_its_own_ca(stack, name):
    ip = _props(stack(name), SQL)["settings"]["ipConfiguration"]
    assert ip["sslMode"] == "ENCRYPTED_ONLY"
    # A CA for this instance alone: what makes verify-ca identify the server.
    assert ip["serverCaMode"] == "GOOGLE_MANAGED_INTERNAL_CA"


@pytest.mark.parametrize("name", STACKS)
def test_the_pods_verify_the_server_against_the_instance_ca(stack, name):
    cap = stack(name)
    data = _props(cap, "kubernetes:core/v1:ConfigMap", "-config")["data"]
    assert data["DB_SSLMODE"] == "verify-ca" == database.SSLMODE
    # The PEM the pods trust is the instance's server CA (the mock's stand-in), nothing else.
    shipped = [
        value
        for obj in cap.kubernetes_objects()
        if obj["kind"] in ("ConfigMap", "Secret")
        for value in (obj.get("data") or obj.get("stringData") or {}).values()
        if "BEGIN CERTIFICATE" in str(value)
    ]
    assert shipped == [SQL_SERVER_CA + "\n"]


@pytest.mark.parametrize("name", STACKS)
def test_the_web_pods_log_in_as_the_app_role_and_trust_the_instance_ca(stack, name):
    cap = stack(name)
    config = cap.one("kubernetes:core/v1:ConfigMap", "-config").plain_inputs
    web = cap.one("kubernetes:apps/v1:Deployment", "web").plain_inputs["spec"]["template"]["spec"]
    (container,) = web["containers"]
    assert {"configMapRef": {"name": config["metadata"]["name"]}} in container["envFrom"]
    assert "DB_USER" not in {e["name"] for e in container.get("env") or []}
    # The least-privilege role the migration Job makes, never the instance's owner.
    assert config["data"]["DB_USER"] == "crowdsource_app" != database.DATABASE_USER
    # sslrootcert names a file of a mounted ConfigMap holding the instance's server CA.
    root_cert = config["data"]["DB_SSLROOTCERT"]
    (mount,) = [m for m in container["volumeMounts"] if root_cert.startswith(m["mountPath"] + "/")]
    (volume,) = [v for v in web["volumes"] if v["name"] == mount["name"]]
    ca_map = cap.one("kubernetes:core/v1:ConfigMap", volume["configMap"]["name"]).plain_inputs
    assert ca_map["data"][root_cert.removeprefix(mount["mountPath"] + "/")] == SQL_SERVER_CA + "\n"
    # Only the migration Job connects as the owner (to migrate and to make the role).
    job = cap.one("kubernetes:batch/v1:Job").plain_inputs["spec"]["template"]["spec"]
    for step in (*job.get("initContainers", []), *job["containers"]):
        env = {e["name"]: e.get("value") for e in step.get("env") or []}
        assert env["DB_USER"] == database.DATABASE_USER


# --- the cluster's API endpoint ------------------------------------------------------------


def test_prod_names_who_may_reach_the_cluster_api(stack):
    authorized = _props(stack("gcp-prod"), CLUSTER)["masterAuthorizedNetworksConfig"]
    assert [b["cidrBlock"] for b in authorized["cidrBlocks"]] == _gcp("gcp-prod")[
        "authorizedNetworks"
    ]
    assert authorized["gcpPublicCidrsAccessEnabled"] is False


def test_the_authorized_networks_come_from_config():
    config = {**_gcp("gcp-prod"), "authorizedNetworks": ["100.64.12.0/24", "100.64.99.7/32"]}
    cap = build_stack("gcp-prod", gcp=config)
    blocks = _props(cap, CLUSTER)["masterAuthorizedNetworksConfig"]["cidrBlocks"]
    assert [b["cidrBlock"] for b in blocks] == ["100.64.12.0/24", "100.64.99.7/32"]


@pytest.mark.parametrize(
    ("networks", "message"),
    [
        (["0.0.0.0/0"], "0.0.0.0/0 opens the cluster's API to the whole internet"),
        (["100.64.12.0/24", "0.0.0.0/0"], "0.0.0.0/0 opens"),
        ([], "a prod stack names who may reach the cluster's API"),
        (None, "a prod stack names who may reach the cluster's API"),
        # the shipped placeholder, and any documentation range (RFC 5737), reaches nobody
        (["203.0.113.0/24"], "203.0.113.0/24 is a documentation range"),
    ],
)
def test_prod_refuses_an_api_endpoint_open_to_everyone(networks, message):
    config = {**_gcp("gcp-prod"), "authorizedNetworks": networks}
    with pytest.raises(ConfigError, match=rf"crowdsource:gcp.authorizedNetworks: .*{message}"):
        build_stack("gcp-prod", gcp=config)


def test_dev_may_leave_the_api_endpoint_open():
    cap = build_stack("gcp-dev", gcp={**_gcp("gcp-dev"), "authorizedNetworks": ["0.0.0.0/0"]})
    blocks = _props(cap, CLUSTER)["masterAuthorizedNetworksConfig"]["cidrBlocks"]
    assert [b["cidrBlock"] for b in blocks] == ["0.0.0.0/0"]


# --- backups in another region -------------------------------------------------------------


def test_prod_keeps_its_backups_in_another_region(stack):
    sql = _props(stack("gcp-prod"), SQL)
    location = sql["settings"]["backupConfiguration"]["location"]
    assert location == _gcp("gcp-prod")["sql"]["backupLocation"] == "asia-south2"
    assert location != sql["region"]


def test_dev_keeps_backups_where_cloud_sql_puts_them(stack):
    assert "location" not in _props(stack("gcp-dev"), SQL)["settings"]["backupConfiguration"]


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (None, "required on a prod stack"),
        ("asia-south1", "the instance's own region"),
        ("mumbai", "is not a region"),
    ],
)
def test_prod_refuses_backups_in_the_instance_region_or_nowhere(location, message):
    config = _gcp("gcp-prod")
    sql = {k: v for k, v in config["sql"].items() if k != "backupLocation"}
    if location is not None:
        sql["backupLocation"] = location
    with pytest.raises(ConfigError, match=rf"crowdsource:gcp.sql.backupLocation: .*{message}"):
        build_stack("gcp-prod", gcp={**config, "sql": sql})
