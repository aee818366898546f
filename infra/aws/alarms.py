"""CloudWatch alarms to an SNS topic: the cloud's stand-in for the Prometheus rules, which need a
Prometheus Operator that EKS on Fargate does not have.

Every threshold is read from infra/alerting.py (the one definition). Alarms evaluate one-minute
periods and fire after `for_seconds` of them in a row, as the rules' `for:` does. Subscriptions
to the topic come from stack config (`alerts.email`); with none, the alarms still show in the
console and the topic can be subscribed to later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.alerting import (
    DATABASE_CONNECTIONS_PERCENT,
    DATABASE_CPU_PERCENT,
    DATABASE_FREE_STORAGE_PERCENT,
    HIGH_ERROR_RATE,
    HIGH_LATENCY_P99,
    MIN_REQUEST_RATE,
    REFRESH_STALE,
    REFRESH_SUCCESS_TEXT,
    Rule,
)

PERIOD = 60  # seconds: the finest period the ALB and RDS metrics have without extra cost
GIB = 1024**3
# Where the refresh job's successes are counted (a log-based metric of this stack).
REFRESH_METRIC = "DashboardRefreshes"


@dataclass(frozen=True)
class AlarmsArgs:
    """What the alarms watch and where they go."""

    name_prefix: str  # the cluster's name: alarms read crowdsource-aws-prod-HighErrorRate
    emails: tuple[str, ...]
    # The ALB's CloudWatch dimension (app/<name>/<id>, the ARN's suffix).
    load_balancer: pulumi.Input[str]
    db_instance_id: pulumi.Input[str]
    db_allocated_storage_gb: int
    db_max_connections: int
    # The log group Fargate ships every pod's stdout to (addons.fargate_logging).
    pod_log_group: pulumi.Input[str]


def _periods(rule: Rule) -> int:
    return max(1, rule.for_seconds // PERIOD)


class Alarms(pulumi.ComponentResource):
    """The topic, its e-mail subscriptions, the log-based refresh metric and one alarm per
    cloud rule (infra.alerting.CLOUD_RULES)."""

    def __init__(
        self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crowdsource:aws:Alarms", name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self)
        self._prefix = args.name_prefix
        # Not encrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key, and
        # an alarm says no more than its name.
        self.topic = aws.sns.Topic(name, name=f"{args.name_prefix}-alerts", opts=self._child)
        for index, address in enumerate(args.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{index}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=address,
                opts=self._child,
            )
        self.alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        self._error_rate(args.load_balancer)
        self._alarm(
            HIGH_LATENCY_P99,
            namespace="AWS/ApplicationELB",
            metric_name="TargetResponseTime",
            dimensions={"LoadBalancer": args.load_balancer},
            extended_statistic="p99",
            comparison_operator="GreaterThanThreshold",
            threshold=HIGH_LATENCY_P99.value,
            treat_missing_data="notBreaching",  # no requests: no latency to worry about
        )
        database = {"DBInstanceIdentifier": args.db_instance_id}
        self._alarm(
            DATABASE_CPU_PERCENT,
            namespace="AWS/RDS",
            metric_name="CPUUtilization",
            dimensions=database,
            statistic="Average",
            comparison_operator="GreaterThanThreshold",
            threshold=DATABASE_CPU_PERCENT.value,
            treat_missing_data="missing",
        )
        # FreeStorageSpace is in bytes: the rule's percentage of the allocated storage.
        self._alarm(
            DATABASE_FREE_STORAGE_PERCENT,
            namespace="AWS/RDS",
            metric_name="FreeStorageSpace",
            dimensions=database,
            statistic="Minimum",
            comparison_operator="LessThanThreshold",
            threshold=free_storage_bytes(args.db_allocated_storage_gb),
            treat_missing_data="missing",
        )
        self._alarm(
            DATABASE_CONNECTIONS_PERCENT,
            namespace="AWS/RDS",
            metric_name="DatabaseConnections",
            dimensions=database,
            statistic="Maximum",
            comparison_operator="GreaterThanThreshold",
            threshold=connections_threshold(args.db_max_connections),
            treat_missing_data="missing",
        )
        self._refresh_freshness(args.pod_log_group)
        self.register_outputs({"topic": self.topic.arn})

    def _alarm(self, rule: Rule, **metric: Any) -> aws.cloudwatch.MetricAlarm:
        periods = _periods(rule)
        period = metric.pop("period", PERIOD)
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._prefix}-{rule.name}",
            name=f"{self._prefix}-{rule.name}",
            alarm_description=f"[{rule.severity}] {rule.summary}",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            evaluation_periods=metric.pop("evaluation_periods", periods),
            datapoints_to_alarm=metric.pop("datapoints_to_alarm", periods),
            **({"period": period} if "metric_queries" not in metric else {}),
            **metric,
            opts=self._child,
        )
        self.alarms[rule.name] = alarm
        return alarm

    def _error_rate(self, load_balancer: pulumi.Input[str]) -> None:
        """Server errors (the targets' and the ALB's own 5xx) over requests; below the minimum
        request rate the share means nothing and counts as 0."""

        def count(query_id: str, metric_name: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=query_id,
                return_data=False,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace="AWS/ApplicationELB",
                    metric_name=metric_name,
                    dimensions={"LoadBalancer": load_balancer},
                    period=PERIOD,
                    stat="Sum",
                ),
            )

        expression = (
            f"IF(requests / PERIOD(requests) >= {MIN_REQUEST_RATE}, "
            "(FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)"
        )
        self._alarm(
            HIGH_ERROR_RATE,
            comparison_operator="GreaterThanThreshold",
            threshold=HIGH_ERROR_RATE.value,
            treat_missing_data="notBreaching",  # no requests at all: nothing failed
            metric_queries=[
                count("requests", "RequestCount"),
                count("target5xx", "HTTPCode_Target_5XX_Count"),
                count("elb5xx", "HTTPCode_ELB_5XX_Count"),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="errorrate",
                    expression=expression,
                    label="Share of 5xx answers",
                    return_data=True,
                ),
            ],
        )

    def _refresh_freshness(self, pod_log_group: pulumi.Input[str]) -> None:
        """A successful `crowdsource refresh` logs REFRESH_SUCCESS_TEXT; the alarm fires when
        none was logged for REFRESH_STALE.value seconds plus its `for` (as the Prometheus rule
        does), and when the metric is missing altogether (no refresh ever ran)."""
        namespace = f"Crowdsource/{self._prefix}"
        aws.cloudwatch.LogMetricFilter(
            f"{self._prefix}-refreshes",
            name=f"{self._prefix}-refreshes",
            log_group_name=pod_log_group,
            pattern=f'"{REFRESH_SUCCESS_TEXT}"',
            metric_transformation={
                "name": REFRESH_METRIC,
                "namespace": namespace,
                "value": "1",
                "unit": "Count",
            },
            opts=self._child,
        )
        self._alarm(
            REFRESH_STALE,
            namespace=namespace,
            metric_name=REFRESH_METRIC,
            statistic="Sum",
            period=stale_window_seconds(),
            evaluation_periods=1,
            datapoints_to_alarm=1,
            comparison_operator="LessThanThreshold",
            threshold=1,
            treat_missing_data="breaching",
        )


def stale_window_seconds() -> int:
    """The refresh alarm's single period: the stale age plus the rule's `for`, in whole
    minutes (CloudWatch periods above a minute are multiples of 60)."""
    seconds = int(REFRESH_STALE.value) + REFRESH_STALE.for_seconds
    return -(-seconds // 60) * 60


def free_storage_bytes(allocated_gb: int) -> float:
    """The free-storage threshold in bytes: the rule's percentage of the allocated storage."""
    return allocated_gb * GIB * DATABASE_FREE_STORAGE_PERCENT.value / 100


def connections_threshold(max_connections: int) -> float:
    """The connections threshold: the rule's percentage of max_connections."""
    return max_connections * DATABASE_CONNECTIONS_PERCENT.value / 100
