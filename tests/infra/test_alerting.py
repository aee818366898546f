"""One definition of the alert thresholds (infra/alerting.py): the Prometheus rules say the same
numbers, and the refresh job prints the line the clouds' log-based metrics count."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from app.dashboard.refresh import refresh_dashboard
from app.storage.local import LocalStorage
from infra import alerting
from infra.alerting import Rule

ALERTS = Path(__file__).resolve().parents[2] / "infra" / "k8s" / "monitoring" / "alerts.yaml"

PROMETHEUS_RULES = {
    "CrowdsourceHighErrorRate": alerting.HIGH_ERROR_RATE,
    "CrowdsourceHighLatencyP99": alerting.HIGH_LATENCY_P99,
    "CrowdsourceDashboardRefreshStale": alerting.REFRESH_STALE,
    "CrowdsourceDbPoolSaturated": alerting.DB_POOL_SATURATED,
    "CrowdsourceStorageErrors": alerting.STORAGE_ERROR_RATE,
}


def prometheus_rules() -> dict[str, dict]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return {r["alert"]: r for group in document["spec"]["groups"] for r in group["rules"]}


def seconds(duration: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([smh])", duration).groups()  # type: ignore[union-attr]
    return int(number) * {"s": 1, "m": 60, "h": 3600}[unit]


def thresholds(expr: str) -> list[float]:
    """The numbers an expression compares against (`> 0.05`, `> 8 * 3600`)."""
    found = []
    for text in re.findall(r">\s*([\d.]+(?:\s*\*\s*[\d.]+)*)", expr):
        value = 1.0
        for factor in text.split("*"):
            value *= float(factor)
        found.append(value)
    return found


@pytest.mark.parametrize(("alert", "rule"), PROMETHEUS_RULES.items())
def test_the_prometheus_rule_uses_the_one_definition(alert: str, rule: Rule) -> None:
    prometheus = prometheus_rules()[alert]
    assert thresholds(prometheus["expr"])[0] == rule.value
    assert seconds(prometheus["for"]) == rule.for_seconds
    assert prometheus["labels"]["severity"] == rule.severity


def test_the_http_rules_ignore_a_trickle_of_traffic_alike() -> None:
    rules = prometheus_rules()
    for alert in ("CrowdsourceHighErrorRate", "CrowdsourceHighLatencyP99"):
        assert thresholds(rules[alert]["expr"])[1] == alerting.MIN_REQUEST_RATE


def test_a_successful_refresh_prints_the_line_the_log_metrics_count(
    database_url: str, tmp_path: Path
) -> None:
    lines: list[str] = []
    refresh_dashboard(database_url, LocalStorage(tmp_path), report=lines.append)
    assert sum(line.startswith(alerting.REFRESH_SUCCESS_TEXT) for line in lines) == 1
