"""Alerting on GKE Autopilot without a Prometheus Operator: Cloud Monitoring alert policies with
the thresholds of infra/alerting.py (the one definition), sent to email notification channels
from stack config (`crowdsource:gcp.alerts.email`).

Google sees the load balancer, Cloud SQL and the pods' logs, not the app's own metrics, so:
- server errors and latency come from the app's load balancer, the one GKE's Ingress builds:
  the URL maps of the project whose name does not start with the stack's prefix (GKE names its
  own `k8s2-um-…`; the program names the CDN's and the port-80 redirects). This assumes the
  project is the stack's own, as the committed stacks have it;
- the database's CPU, disk and connections from Cloud SQL's metrics;
- the dashboard's freshness from a log-based metric counting the line a successful
  `crowdsource refresh` prints, with an absence condition over REFRESH_STALE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra import alerting
from infra.alerting import Rule

# Cloud Monitoring's PromQL names for the load balancer's metrics (metric type with the first
# "/" → ":" and the other "/" and "." → "_").
LB_REQUESTS = "loadbalancing_googleapis_com:https_request_count"
LB_LATENCY_BUCKETS = "loadbalancing_googleapis_com:https_backend_latencies_bucket"
RATE_WINDOW = "5m"
SQL_CPU = "cloudsql.googleapis.com/database/cpu/utilization"  # a fraction, 0..1
SQL_DISK = "cloudsql.googleapis.com/database/disk/utilization"  # used share of the disk, 0..1
SQL_BACKENDS = "cloudsql.googleapis.com/database/postgresql/num_backends"  # per database
ALIGNMENT_SECONDS = 60
SEVERITIES = {"critical": "CRITICAL", "warning": "WARNING"}


@dataclass(frozen=True)
class AlertingArgs:
    """What the alert policies watch and whom they tell."""

    prefix: str  # the stack's resource-name prefix, crowdsource-<stack>
    project: str
    emails: Sequence[str]
    sql_instance: gcp.sql.DatabaseInstance
    max_connections: int  # the instance's max_connections flag (database.py sets it)
    cluster_name: str
    namespace: str


def _duration(seconds: float) -> str:
    return f"{int(seconds)}s"


def _lb_selector(prefix: str, extra: str = "") -> str:
    """The app's load balancer: GKE's Ingress URL map, not the ones this program names."""
    return f'{{monitored_resource="https_lb_rule",url_map_name!~"{prefix}-.*"{extra}}}'


def error_rate_query(prefix: str) -> str:
    """PromQL: the share of 5xx answers, only while traffic is above MIN_REQUEST_RATE."""
    rule = alerting.HIGH_ERROR_RATE
    all_requests = f"sum(rate({LB_REQUESTS}{_lb_selector(prefix)}[{RATE_WINDOW}]))"
    server_errors = _lb_selector(prefix, ',response_code_class="500"')
    errors = f"sum(rate({LB_REQUESTS}{server_errors}[{RATE_WINDOW}]))"
    return (
        f"({errors} / {all_requests}) > {rule.value:g}"
        f" and {all_requests} > {alerting.MIN_REQUEST_RATE:g}"
    )


def latency_query(prefix: str) -> str:
    """PromQL: the 99th percentile of the backends' answer time, in ms (the metric's unit)."""
    rule = alerting.HIGH_LATENCY_P99
    buckets = f"rate({LB_LATENCY_BUCKETS}{_lb_selector(prefix)}[{RATE_WINDOW}])"
    return f"histogram_quantile(0.99, sum by (le) ({buckets})) > {rule.value * 1000:g}"


def refresh_log_filter(project: str, cluster_name: str, namespace: str) -> str:
    """The refresh job's success line in the app's container logs (plain or JSON logging)."""
    text = alerting.REFRESH_SUCCESS_TEXT
    return "\n".join(
        (
            'resource.type="k8s_container"',
            f'resource.labels.project_id="{project}"',
            f'resource.labels.cluster_name="{cluster_name}"',
            f'resource.labels.namespace_name="{namespace}"',
            f'(textPayload:"{text}" OR jsonPayload.message:"{text}")',
        )
    )


class GcpAlerting(pulumi.ComponentResource):
    """Notification channels, the log-based metric and one alert policy per cloud rule."""

    def __init__(self, name: str, args: AlertingArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("crowdsource:gcp:Alerting", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.channels = [
            gcp.monitoring.NotificationChannel(
                f"{name}-email-{i}",
                display_name=f"Crowdsource {pulumi.get_stack()}: {email}",
                type="email",
                labels={"email_address": email},
                opts=child,
            )
            for i, email in enumerate(args.emails)
        ]
        self.refresh_metric = gcp.logging.Metric(
            f"{name}-dashboard-refreshed",
            name=f"{args.prefix}-dashboard-refreshed",
            description="Successful dashboard refreshes (the line `crowdsource refresh` prints).",
            filter=refresh_log_filter(args.project, args.cluster_name, args.namespace),
            metric_descriptor=gcp.logging.MetricMetricDescriptorArgs(
                metric_kind="DELTA", value_type="INT64", unit="1"
            ),
            opts=child,
        )
        database_id = pulumi.Output.concat(args.project, ":", args.sql_instance.name)

        def sql_filter(metric: str) -> pulumi.Output[str]:
            return pulumi.Output.concat(
                f'metric.type="{metric}" AND resource.type="cloudsql_database" AND ',
                'resource.labels.database_id="',
                database_id,
                '"',
            )

        def threshold(
            rule: Rule, metric: str, value: float, reducer: str | None = None
        ) -> gcp.monitoring.AlertPolicyConditionArgs:
            return gcp.monitoring.AlertPolicyConditionArgs(
                display_name=rule.summary,
                condition_threshold=gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                    filter=sql_filter(metric),
                    comparison="COMPARISON_GT",
                    threshold_value=value,
                    duration=_duration(rule.for_seconds),
                    aggregations=[
                        gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(
                            alignment_period=_duration(ALIGNMENT_SECONDS),
                            per_series_aligner="ALIGN_MEAN",
                            cross_series_reducer=reducer,
                        )
                    ],
                ),
            )

        def promql(rule: Rule, query: str) -> gcp.monitoring.AlertPolicyConditionArgs:
            return gcp.monitoring.AlertPolicyConditionArgs(
                display_name=rule.summary,
                condition_prometheus_query_language=gcp.monitoring.AlertPolicyConditionConditionPrometheusQueryLanguageArgs(
                    query=query, duration=_duration(rule.for_seconds)
                ),
            )

        refresh = alerting.REFRESH_STALE
        conditions: dict[str, gcp.monitoring.AlertPolicyConditionArgs] = {
            alerting.HIGH_ERROR_RATE.name: promql(
                alerting.HIGH_ERROR_RATE, error_rate_query(args.prefix)
            ),
            alerting.HIGH_LATENCY_P99.name: promql(
                alerting.HIGH_LATENCY_P99, latency_query(args.prefix)
            ),
            alerting.DATABASE_CPU_PERCENT.name: threshold(
                alerting.DATABASE_CPU_PERCENT, SQL_CPU, alerting.DATABASE_CPU_PERCENT.value / 100
            ),
            # Less than N % free is more than (100 - N) % used.
            alerting.DATABASE_FREE_STORAGE_PERCENT.name: threshold(
                alerting.DATABASE_FREE_STORAGE_PERCENT,
                SQL_DISK,
                1 - alerting.DATABASE_FREE_STORAGE_PERCENT.value / 100,
            ),
            # The backends of every database on the instance, against the flag we set.
            alerting.DATABASE_CONNECTIONS_PERCENT.name: threshold(
                alerting.DATABASE_CONNECTIONS_PERCENT,
                SQL_BACKENDS,
                args.max_connections * alerting.DATABASE_CONNECTIONS_PERCENT.value / 100,
                reducer="REDUCE_SUM",
            ),
            # No success line for REFRESH_STALE: the dashboard is that old.
            refresh.name: gcp.monitoring.AlertPolicyConditionArgs(
                display_name=refresh.summary,
                condition_absent=gcp.monitoring.AlertPolicyConditionConditionAbsentArgs(
                    filter=self.refresh_metric.name.apply(
                        lambda metric: (
                            f'metric.type="logging.googleapis.com/user/{metric}" AND '
                            'resource.type="k8s_container"'
                        )
                    ),
                    duration=_duration(refresh.value),
                    aggregations=[
                        gcp.monitoring.AlertPolicyConditionConditionAbsentAggregationArgs(
                            alignment_period=_duration(600),
                            per_series_aligner="ALIGN_SUM",
                        )
                    ],
                ),
            ),
        }
        self.policies: dict[str, gcp.monitoring.AlertPolicy] = {}
        for rule in alerting.CLOUD_RULES:
            self.policies[rule.name] = gcp.monitoring.AlertPolicy(
                f"{name}-{rule.name}",
                display_name=f"{rule.name} ({pulumi.get_stack()})",
                combiner="OR",
                conditions=[conditions[rule.name]],
                severity=SEVERITIES[rule.severity],
                documentation=gcp.monitoring.AlertPolicyDocumentationArgs(
                    content=rule.summary, mime_type="text/markdown"
                ),
                notification_channels=[c.name for c in self.channels],
                opts=child,
            )
        self.register_outputs(
            {"policies": [p.id for p in self.policies.values()], "channels": len(self.channels)}
        )
