"""Cloud Monitoring alerting on the gcp stacks (GKE Autopilot has no Prometheus Operator): one
alert policy per cloud rule, every threshold read from infra/alerting.py, sent to the email
channels from stack config."""

from __future__ import annotations

from typing import Any

import pytest

from infra import alerting
from infra.capture import Capture
from infra.k8s.config import ConfigError
from infra.stacks import load_stack
from infra.stand_ins import stand_ins
from tests.infra.conftest import ROOT, build_stack

STACKS = ["gcp-dev", "gcp-prod"]
POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
LOG_METRIC = "gcp:logging/metric:Metric"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"


def _gcp(name: str) -> dict[str, Any]:
    """The stack file's gcp settings, its placeholders stood in for (infra/stand_ins.py)."""
    config = load_stack(ROOT, name).config
    return dict({**config, **stand_ins(config)}["crowdsource:gcp"])


def _policies(cap: Capture) -> dict[str, dict[str, Any]]:
    """Alert policies by the rule they implement (the end of their logical name)."""
    return {r.name.rsplit("-", 1)[-1]: r.plain_inputs for r in cap.of_type(POLICY)}


def _condition(policy: dict[str, Any]) -> dict[str, Any]:
    (condition,) = policy["conditions"]
    return condition


@pytest.mark.parametrize("name", STACKS)
def test_every_cloud_rule_is_an_alert_policy_sent_to_the_configured_emails(stack, name):
    cap = stack(name)
    policies = _policies(cap)
    assert set(policies) == {rule.name for rule in alerting.CLOUD_RULES}
    channels = cap.of_type(CHANNEL)
    assert sorted(c.plain_inputs["labels"]["email_address"] for c in channels) == sorted(
        _gcp(name)["alerts"]["email"]
    )
    assert all(c.plain_inputs["type"] == "email" for c in channels)
    names = sorted(c.outputs["name"] for c in channels)
    for rule in alerting.CLOUD_RULES:
        policy = policies[rule.name]
        assert sorted(policy["notificationChannels"]) == names
        assert policy["severity"] == rule.severity.upper()
        assert policy["documentation"]["content"] == rule.summary


def test_the_alert_emails_come_from_config():
    config = {**_gcp("gcp-dev"), "alerts": {"email": ["a@example.org", "b@example.org"]}}
    channels = build_stack("gcp-dev", gcp=config).of_type(CHANNEL)
    # sorted: the engine registers the two channels from worker threads, in either order
    assert sorted(c.plain_inputs["labels"]["email_address"] for c in channels) == [
        "a@example.org",
        "b@example.org",
    ]


def test_prod_refuses_alerts_that_tell_nobody():
    config = {**_gcp("gcp-prod"), "alerts": {"email": []}}
    with pytest.raises(ConfigError, match=r"crowdsource:gcp.alerts.email: required on a prod"):
        build_stack("gcp-prod", gcp=config)


def test_a_wrong_email_stops_the_program_with_one_line():
    config = {**_gcp("gcp-dev"), "alerts": {"email": ["sre at example.org"]}}
    with pytest.raises(ConfigError, match=r"'sre at example.org' is not an email address"):
        build_stack("gcp-dev", gcp=config)


@pytest.mark.parametrize("name", STACKS)
def test_the_error_rate_is_a_share_of_the_app_load_balancer_traffic(stack, name):
    rule = alerting.HIGH_ERROR_RATE
    condition = _condition(_policies(stack(name))[rule.name])
    promql = condition["conditionPrometheusQueryLanguage"]
    assert promql["duration"] == f"{rule.for_seconds}s"
    query = promql["query"]
    errors, _, rest = query.partition(" / ")
    assert 'response_code_class="500"' in errors
    assert f") > {rule.value:g} and " in rest
    # Quiet hours are not an outage: below MIN_REQUEST_RATE the share means nothing.
    assert rest.endswith(f" > {alerting.MIN_REQUEST_RATE:g}")
    # GKE's Ingress load balancer, not the CDN's or the redirects (named by the program).
    assert query.count(f'url_map_name!~"crowdsource-{name}-.*"') == 3


@pytest.mark.parametrize("name", STACKS)
def test_the_latency_alert_is_the_p99_of_the_backends_in_milliseconds(stack, name):
    rule = alerting.HIGH_LATENCY_P99
    promql = _condition(_policies(stack(name))[rule.name])["conditionPrometheusQueryLanguage"]
    assert promql["query"].startswith("histogram_quantile(0.99, ")
    assert promql["query"].endswith(f" > {rule.value * 1000:g}")
    assert promql["duration"] == f"{rule.for_seconds}s"


@pytest.mark.parametrize(
    ("rule", "metric", "threshold"),
    [
        (
            alerting.DATABASE_CPU_PERCENT,
            "cloudsql.googleapis.com/database/cpu/utilization",
            alerting.DATABASE_CPU_PERCENT.value / 100,
        ),
        (
            alerting.DATABASE_FREE_STORAGE_PERCENT,
            "cloudsql.googleapis.com/database/disk/utilization",
            1 - alerting.DATABASE_FREE_STORAGE_PERCENT.value / 100,
        ),
    ],
    ids=["cpu", "disk"],
)
@pytest.mark.parametrize("name", STACKS)
def test_the_database_alerts_watch_the_stack_instance(stack, name, rule, metric, threshold):
    cap = stack(name)
    condition = _condition(_policies(cap)[rule.name])["conditionThreshold"]
    instance = cap.one(SQL).outputs["name"]
    project = load_stack(ROOT, name).config["gcp:project"]
    assert f'metric.type="{metric}"' in condition["filter"]
    assert f'resource.labels.database_id="{project}:{instance}"' in condition["filter"]
    assert condition["comparison"] == "COMPARISON_GT"
    assert condition["thresholdValue"] == pytest.approx(threshold)
    assert condition["duration"] == f"{rule.for_seconds}s"


@pytest.mark.parametrize(("name", "limit"), [("gcp-dev", 100), ("gcp-prod", 400)])
def test_the_connections_alert_is_a_share_of_the_max_connections_flag(stack, name, limit):
    cap = stack(name)
    rule = alerting.DATABASE_CONNECTIONS_PERCENT
    flags = {f["name"]: f["value"] for f in cap.one(SQL).plain_inputs["settings"]["databaseFlags"]}
    assert flags["max_connections"] == str(limit)
    condition = _condition(_policies(cap)[rule.name])["conditionThreshold"]
    assert (
        'metric.type="cloudsql.googleapis.com/database/postgresql/num_backends"'
        in (condition["filter"])
    )
    # Backends of every database on the instance, summed, against the limit.
    assert condition["aggregations"][0]["crossSeriesReducer"] == "REDUCE_SUM"
    assert condition["thresholdValue"] == pytest.approx(limit * rule.value / 100)
    assert condition["duration"] == f"{rule.for_seconds}s"


@pytest.mark.parametrize("name", STACKS)
def test_a_dashboard_not_refreshed_for_too_long_alerts(stack, name):
    cap = stack(name)
    metric = cap.one(LOG_METRIC).plain_inputs
    # Counts the line a successful `crowdsource refresh` prints, in the app's namespace.
    assert f'"{alerting.REFRESH_SUCCESS_TEXT}"' in metric["filter"]
    assert 'resource.type="k8s_container"' in metric["filter"]
    assert f'resource.labels.cluster_name="crowdsource-{name}"' in metric["filter"]
    assert 'resource.labels.namespace_name="crowdsource"' in metric["filter"]
    assert metric["metricDescriptor"] == {"metricKind": "DELTA", "valueType": "INT64", "unit": "1"}
    rule = alerting.REFRESH_STALE
    absent = _condition(_policies(cap)[rule.name])["conditionAbsent"]
    assert absent["filter"].startswith(
        f'metric.type="logging.googleapis.com/user/{metric["name"]}"'
    )
    assert absent["duration"] == f"{int(rule.value)}s"


def test_the_refresh_job_prints_the_line_the_metric_counts():
    source = (ROOT / "app/dashboard/refresh.py").read_text()
    assert f'f"{alerting.REFRESH_SUCCESS_TEXT} {{' in source


# --- the logs an SRE reads ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "days"), [("gcp-dev", 30), ("gcp-prod", 90)])
def test_the_project_logs_are_kept_as_long_as_config_says(stack, name, days):
    cap = stack(name)
    bucket = cap.one("gcp:logging/projectBucketConfig:ProjectBucketConfig").plain_inputs
    project = load_stack(ROOT, name).config["gcp:project"]
    assert (bucket["project"], bucket["location"], bucket["bucketId"]) == (
        project,
        "global",
        "_Default",
    )
    assert bucket["retentionDays"] == days


@pytest.mark.parametrize("name", STACKS)
def test_flow_load_balancer_nat_and_slow_query_logs_are_on(stack, name):
    cap = stack(name)
    subnet = cap.one("gcp:compute/subnetwork:Subnetwork").plain_inputs
    assert subnet["logConfig"]["flowSampling"] > 0
    nat = cap.one("gcp:compute/routerNat:RouterNat").plain_inputs
    assert nat["logConfig"] == {"enable": True, "filter": "ERRORS_ONLY"}
    # The app's load balancer logs its requests, with Cloud Armor's decisions.
    backend = cap.one("kubernetes:cloud.google.com/v1:BackendConfig").plain_inputs
    assert backend["spec"]["logging"]["enable"] is True
    flags = {f["name"] for f in cap.one(SQL).plain_inputs["settings"]["databaseFlags"]}
    assert "log_min_duration_statement" in flags
