"""The alert thresholds, defined once for every place that alerts.

Three places watch the app: the Prometheus rules (infra/k8s/monitoring/alerts.yaml, for clusters
with the Prometheus Operator), CloudWatch alarms on AWS and Cloud Monitoring alert policies on
GCP (EKS on Fargate and GKE Autopilot have no Prometheus Operator by default). Each reads its
numbers from here; tests/infra/test_alerting.py checks that alerts.yaml says the same.

The clouds see the load balancer and the managed database rather than the app's own metrics, so
the HTTP rules become load-balancer rules with the same numbers, and the dashboard's freshness
is read from the refresh job's log: a successful `crowdsource refresh` prints a line starting
with REFRESH_SUCCESS_TEXT (app/dashboard/refresh.py), which a log-based metric counts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """Fire when `value` is crossed for `for_seconds` in a row."""

    name: str
    value: float
    for_seconds: int
    severity: str  # "critical" pages someone; "warning" goes to the team's channel
    summary: str


# -- the app's HTTP answers (Prometheus: the app's metrics; clouds: the load balancer's) -------
# Requests per second below which a share of errors means nothing.
MIN_REQUEST_RATE = 0.1
HIGH_ERROR_RATE = Rule(
    "HighErrorRate", 0.05, 600, "critical", "More than 5 % of answers are server errors (5xx)."
)
HIGH_LATENCY_P99 = Rule(
    "HighLatencyP99", 2.5, 600, "warning", "The 99th percentile of request time is above 2.5 s."
)

# -- the dashboard refresh (every 4 h by default: stale after two missed runs) ---------------
REFRESH_STALE = Rule(
    "DashboardRefreshStale",
    8 * 3600,
    900,
    "warning",
    "The public dashboard has not been refreshed for more than 8 hours.",
)
REFRESH_SUCCESS_TEXT = "published dashboard version"

# -- the app's own dependencies (Prometheus only: the clouds cannot see the pools) ------------
DB_POOL_SATURATED = Rule(
    "DbPoolSaturated", 0.9, 600, "warning", "A pod uses more than 90 % of its DB pool."
)
STORAGE_ERROR_RATE = Rule(
    "StorageErrors", 0.05, 600, "warning", "Calls to the bucket fail (more than 0.05 per s)."
)

# -- the managed database (clouds only: RDS and Cloud SQL report these) ----------------------
DATABASE_CPU_PERCENT = Rule(
    "DatabaseCpuHigh", 80, 900, "warning", "The database's CPU has been above 80 % for 15 min."
)
DATABASE_FREE_STORAGE_PERCENT = Rule(
    "DatabaseStorageLow", 10, 600, "critical", "Less than 10 % of the database's disk is free."
)
DATABASE_CONNECTIONS_PERCENT = Rule(
    "DatabaseConnectionsHigh",
    80,
    600,
    "warning",
    "The database uses more than 80 % of its connection limit.",
)

CLOUD_RULES = (
    HIGH_ERROR_RATE,
    HIGH_LATENCY_P99,
    REFRESH_STALE,
    DATABASE_CPU_PERCENT,
    DATABASE_FREE_STORAGE_PERCENT,
    DATABASE_CONNECTIONS_PERCENT,
)
