"""CloudWatch alarms to an SNS topic on the aws stacks: one per cloud rule, thresholds read from
infra/alerting.py (the one definition), and the topic's subscriptions from stack config."""

from __future__ import annotations

import pytest

from infra.alerting import (
    CLOUD_RULES,
    DATABASE_CONNECTIONS_PERCENT,
    DATABASE_CPU_PERCENT,
    DATABASE_FREE_STORAGE_PERCENT,
    HIGH_ERROR_RATE,
    HIGH_LATENCY_P99,
    MIN_REQUEST_RATE,
    REFRESH_STALE,
    REFRESH_SUCCESS_TEXT,
)
from infra.aws.database import max_connections
from infra.capture import Capture
from infra.stacks import load_stack
from tests.infra.conftest import ROOT, build_stack

STACKS = ["aws-dev", "aws-prod"]
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
RDS = "aws:rds/instance:Instance"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
GIB = 1024**3


def _alarms(cap: Capture) -> dict[str, dict]:
    prefix = f"{cap.one('aws:eks/cluster:Cluster').plain_inputs['name']}-"
    return {r.plain_inputs["name"].removeprefix(prefix): r.plain_inputs for r in cap.of_type(ALARM)}


def _load_balancer(cap: Capture) -> str:
    annotations = cap.one(INGRESS).plain_inputs["metadata"]["annotations"]
    name = annotations["alb.ingress.kubernetes.io/load-balancer-name"]
    return f"app/{name}/50dc6c495c0c9188"  # the mocked lookup's answer for that name


@pytest.mark.parametrize("name", STACKS)
def test_every_cloud_rule_has_an_alarm_to_the_topic(stack, name):
    cap = stack(name)
    topic = cap.one(TOPIC).outputs["arn"]
    alarms = _alarms(cap)
    assert set(alarms) == {rule.name for rule in CLOUD_RULES}
    for rule in CLOUD_RULES:
        alarm = alarms[rule.name]
        assert alarm["alarmActions"] == [topic] and alarm["okActions"] == [topic]
        assert alarm["alarmDescription"] == f"[{rule.severity}] {rule.summary}"


def test_alarm_e_mails_come_from_stack_config(stack):
    configured = load_stack(ROOT, "aws-prod").config["crowdsource:alerts"]["email"]
    prod = stack("aws-prod")
    subscriptions = [r.plain_inputs for r in prod.of_type(SUBSCRIPTION)]
    # sorted: the mocks register resources from worker threads, in either order
    assert sorted(s["endpoint"] for s in subscriptions) == sorted(configured)
    assert all(s["protocol"] == "email" for s in subscriptions)
    assert all(s["topic"] == prod.one(TOPIC).outputs["arn"] for s in subscriptions)
    assert stack("aws-dev").of_type(SUBSCRIPTION) == []  # none configured: the topic only
    other = build_stack("aws-dev", alerts={"email": ["sre@example.org", "oncall@example.org"]})
    assert sorted(r.plain_inputs["endpoint"] for r in other.of_type(SUBSCRIPTION)) == [
        "oncall@example.org",
        "sre@example.org",
    ]


def test_a_malformed_alert_address_is_refused():
    from infra.config_values import ConfigError

    with pytest.raises(ConfigError, match=r"crowdsource:alerts\.email"):
        build_stack("aws-dev", alerts={"email": ["not an address"]})


@pytest.mark.parametrize("name", STACKS)
def test_the_error_rate_is_5xx_over_requests_above_the_minimum_rate(stack, name):
    cap = stack(name)
    alarm = _alarms(cap)[HIGH_ERROR_RATE.name]
    assert alarm["threshold"] == HIGH_ERROR_RATE.value
    assert alarm["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm["evaluationPeriods"] == HIGH_ERROR_RATE.for_seconds // 60
    assert alarm["treatMissingData"] == "notBreaching"
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    metrics = {q["metric"]["metricName"]: q["metric"] for q in queries.values() if "metric" in q}
    assert set(metrics) == {"RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"}
    for metric in metrics.values():
        assert metric["namespace"] == "AWS/ApplicationELB"
        assert metric["dimensions"] == {"LoadBalancer": _load_balancer(cap)}
        assert (metric["stat"], metric["period"]) == ("Sum", 60)
    (result,) = [q for q in queries.values() if q.get("returnData")]
    expression = result["expression"]
    assert f">= {MIN_REQUEST_RATE}" in expression
    assert "target5xx" in expression and "elb5xx" in expression and "/ requests" in expression


@pytest.mark.parametrize("name", STACKS)
def test_latency_p99_is_the_targets_response_time(stack, name):
    cap = stack(name)
    alarm = _alarms(cap)[HIGH_LATENCY_P99.name]
    assert (alarm["metricName"], alarm["extendedStatistic"]) == ("TargetResponseTime", "p99")
    assert alarm["dimensions"] == {"LoadBalancer": _load_balancer(cap)}
    assert alarm["threshold"] == HIGH_LATENCY_P99.value
    assert alarm["evaluationPeriods"] * alarm["period"] == HIGH_LATENCY_P99.for_seconds


@pytest.mark.parametrize("name", STACKS)
def test_database_alarms_watch_the_instance_with_the_rules_percentages(stack, name):
    cap = stack(name)
    alarms = _alarms(cap)
    db = cap.one(RDS)
    dimensions = {"DBInstanceIdentifier": db.outputs["identifier"]}
    cpu = alarms[DATABASE_CPU_PERCENT.name]
    assert (cpu["metricName"], cpu["threshold"]) == ("CPUUtilization", DATABASE_CPU_PERCENT.value)
    assert cpu["evaluationPeriods"] * cpu["period"] == DATABASE_CPU_PERCENT.for_seconds
    storage = alarms[DATABASE_FREE_STORAGE_PERCENT.name]
    allocated = db.plain_inputs["allocatedStorage"]
    assert storage["metricName"] == "FreeStorageSpace"
    assert storage["comparisonOperator"] == "LessThanThreshold"
    assert storage["threshold"] == allocated * GIB * DATABASE_FREE_STORAGE_PERCENT.value / 100
    connections = alarms[DATABASE_CONNECTIONS_PERCENT.name]
    limit = max_connections(db.plain_inputs["instanceClass"])
    assert connections["threshold"] == limit * DATABASE_CONNECTIONS_PERCENT.value / 100
    # The alarm's limit is the one the database runs with: set in its parameter group.
    parameters = {
        p["name"]: p["value"]
        for p in cap.one("aws:rds/parameterGroup:ParameterGroup").plain_inputs["parameters"]
    }
    assert parameters["max_connections"] == str(limit)
    for alarm in (cpu, storage, connections):
        assert alarm["namespace"] == "AWS/RDS" and alarm["dimensions"] == dimensions


def test_max_connections_follows_the_rds_formula():
    assert max_connections("db.t4g.medium") == 4 * GIB // 9531392 == 450
    assert max_connections("db.m7g.xlarge") == 1802


@pytest.mark.parametrize("name", STACKS)
def test_a_stale_dashboard_alarms_from_the_refresh_jobs_log(stack, name):
    cap = stack(name)
    pod_logs = cap.one("aws:cloudwatch/logGroup:LogGroup", "eks-pods").plain_inputs["name"]
    (metric_filter,) = [
        r.plain_inputs for r in cap.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    ]
    assert metric_filter["logGroupName"] == pod_logs
    assert metric_filter["pattern"] == f'"{REFRESH_SUCCESS_TEXT}"'
    transformation = metric_filter["metricTransformation"]
    alarm = _alarms(cap)[REFRESH_STALE.name]
    assert (alarm["namespace"], alarm["metricName"]) == (
        transformation["namespace"],
        transformation["name"],
    )
    assert alarm["statistic"] == "Sum" and alarm["evaluationPeriods"] == 1
    assert alarm["period"] >= REFRESH_STALE.value + REFRESH_STALE.for_seconds
    assert alarm["period"] % 60 == 0
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("LessThanThreshold", 1)
    assert alarm["treatMissingData"] == "breaching"  # no refresh at all is stale too


@pytest.mark.parametrize("name", STACKS)
def test_the_alb_is_looked_up_after_the_ingress_made_it(name):
    cap = build_stack(name, delays={INGRESS: 1.0})
    ingress_at = cap.resources.index(cap.one(INGRESS))
    load_balancer_alarms = [
        cap.resources.index(r)
        for r in cap.of_type(ALARM)
        if "ApplicationELB" in str(r.plain_inputs)
    ]
    assert len(load_balancer_alarms) == 2
    assert all(i > ingress_at for i in load_balancer_alarms)
