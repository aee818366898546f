"""Monitoring: the Grafana dashboard and the alert rules (infra/k8s/monitoring/) name only metrics
the app exports, and the stacks provision them as configured. That no public Ingress route
reaches /metrics is in test_k8s_public_routes.py."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import kubernetes_validate
import promql_parser
import pytest
import yaml

from app.metrics.names import EXPORTED
from infra.k8s.config import ConfigError
from infra.k8s.observability import ALERTS_FILE, DASHBOARD_FILE
from tests.infra.conftest import build_stack
from tests.infra.test_k8s_schemas import validate
from tests.infra.test_k8s_stack import STACKS

# Names the dashboard and the alerts may use besides the app's: kube-state-metrics' HPA series.
KUBE_STATE_METRICS = frozenset(
    {
        "kube_horizontalpodautoscaler_status_current_replicas",
        "kube_horizontalpodautoscaler_spec_max_replicas",
        "kube_horizontalpodautoscaler_spec_min_replicas",
    }
)
KNOWN_METRICS = EXPORTED | KUBE_STATE_METRICS
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SCRAPE_ANNOTATIONS = {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": "8080",
    "prometheus.io/path": "/metrics",
}
# Grafana's range variables, which PromQL itself does not know.
_GRAFANA_RANGES = re.compile(r"\$__(rate_interval|interval|range)\b")
_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d))+$")


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD_FILE.read_text(encoding="utf-8"))


def alert_rules() -> list[dict[str, Any]]:
    rule = yaml.safe_load(ALERTS_FILE.read_text(encoding="utf-8"))
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """Every metric a PromQL expression selects; a syntax error raises ValueError."""
    names: set[str] = set()

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)
        return True

    promql_parser.walk(promql_parser.parse(_GRAFANA_RANGES.sub("5m", expr)), visit)
    return names


def panel_queries() -> dict[str, list[str]]:
    """Panel title → its query expressions (rows, which hold no queries, left out)."""
    return {
        p["title"]: [t["expr"] for t in p["targets"]]
        for p in dashboard()["panels"]
        if p["type"] != "row"
    }


# --- the dashboard -------------------------------------------------------------------------

_GRID = {
    "type": "object",
    "required": ["h", "w", "x", "y"],
    "properties": {k: {"type": "integer", "minimum": 0} for k in ("h", "w", "x", "y")},
}
_DATASOURCE = {"const": {"type": "prometheus", "uid": "${datasource}"}}
DASHBOARD_SCHEMA = {
    "type": "object",
    "required": ["uid", "title", "schemaVersion", "panels", "templating", "time"],
    "properties": {
        "uid": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,40}$"},
        "title": {"type": "string", "minLength": 1},
        "schemaVersion": {"type": "integer", "minimum": 30},
        "templating": {
            "type": "object",
            "required": ["list"],
            "properties": {"list": {"type": "array", "items": {"required": ["name", "type"]}}},
        },
        "panels": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "type", "title", "gridPos"],
                "properties": {"id": {"type": "integer"}, "gridPos": _GRID},
                "if": {"properties": {"type": {"not": {"const": "row"}}}},
                "then": {
                    "required": ["datasource", "targets"],
                    "properties": {
                        "datasource": _DATASOURCE,
                        "targets": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "required": ["refId", "expr", "datasource"],
                                "properties": {
                                    "expr": {"type": "string", "minLength": 1},
                                    "datasource": _DATASOURCE,
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_dashboard_is_a_grafana_dashboard_model():
    model = dashboard()
    jsonschema.validate(model, DASHBOARD_SCHEMA)
    panels = model["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for p in panels:
        refs = [t["refId"] for t in p.get("targets", [])]
        assert len(refs) == len(set(refs)), p["title"]
        grid = p["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] >= 1, p["title"]
    # No two panels cover the same cell of Grafana's 24-column grid.
    cells: dict[tuple[int, int], str] = {}
    for p in panels:
        g = p["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = p["title"]


def test_dashboard_picks_a_prometheus_data_source_and_a_namespace():
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    namespace = variables["namespace"]
    assert namespace["type"] == "query"
    assert namespace["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    (metric,) = re.findall(r"label_values\((\w+), namespace\)", namespace["definition"])
    assert metric in EXPORTED
    for title, exprs in panel_queries().items():
        for expr in exprs:
            assert 'namespace="$namespace"' in expr, f"{title}: {expr}"


def test_every_dashboard_query_parses_and_names_a_metric_the_app_or_kube_state_exports():
    used: set[str] = set()
    for title, exprs in panel_queries().items():
        for expr in exprs:
            names = metric_names(expr)
            assert names, f"{title}: {expr} selects no metric"
            assert names <= KNOWN_METRICS, f"{title}: unknown {sorted(names - KNOWN_METRICS)}"
            used |= names
    # And the other way round: every metric family the app exports is on some panel.
    families = {re.sub(r"_(bucket|sum|count)$", "", n) for n in EXPORTED}
    shown = {re.sub(r"_(bucket|sum|count)$", "", n) for n in used}
    assert families <= shown, f"no panel shows {sorted(families - shown)}"


@pytest.mark.parametrize(
    ("title", "must_use"),
    [
        ("Request rate by route", ["crowdsource_http_requests_total", "by (route)"]),
        ("Error rate (share of requests)", ['status=~"5.."', 'status=~"4.."']),
        ("Latency p50 / p95 / p99", ["histogram_quantile(0.5,", "histogram_quantile(0.95,",
                                     "histogram_quantile(0.99,",
                                     "crowdsource_http_request_duration_seconds_bucket"]),
        ("In-flight requests", ["crowdsource_http_requests_in_flight"]),
        ("Uploads by outcome and reason", ["by (outcome, reason)", "crowdsource_uploads_total"]),
        ("Votes and verdicts", ["crowdsource_votes_total", "crowdsource_verdicts_total"]),
        ("Queue depth per language", ["crowdsource_queue_items_to_record",
                                      "crowdsource_queue_clips_to_validate", "by (language)"]),
        ("Refresh age", ["time() - max(crowdsource_refresh_last_success_timestamp_seconds"]),
        ("DB pool: in use vs max", ['state="in_use"', 'state="max"']),
        ("DB pool wait time", ["crowdsource_db_pool_wait_seconds_bucket"]),
        ("Storage latency by operation",
         ["crowdsource_storage_operation_duration_seconds_bucket"]),
        ("Storage errors by operation", ["crowdsource_storage_errors_total"]),
        ("Pods vs HPA", sorted(KUBE_STATE_METRICS)),
    ],
)  # fmt: skip
def test_dashboard_has_the_panels_an_sre_looks_at(title, must_use):
    queries = " ".join(panel_queries()[title])
    for text in must_use:
        assert text in queries, f"{title}: {text}"


# --- the alert rules -----------------------------------------------------------------------


def test_alert_rules_file_is_a_prometheus_rule_object():
    rule = yaml.safe_load(ALERTS_FILE.read_text(encoding="utf-8"))
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["kind"] == "PrometheusRule"
    assert rule["metadata"]["name"]
    groups = rule["spec"]["groups"]
    assert len({g["name"] for g in groups}) == len(groups) >= 1
    names = [r["alert"] for r in alert_rules()]
    assert len(names) == len(set(names)), "alert names must be unique"
    for r in alert_rules():
        assert set(r) == {"alert", "expr", "for", "labels", "annotations"}, r["alert"]
        assert re.match(r"^Crowdsource[A-Z][A-Za-z0-9]+$", r["alert"])
        assert _DURATION.match(r["for"]), r["alert"]
        assert r["labels"]["severity"] in ("critical", "warning", "info"), r["alert"]
        assert r["annotations"]["summary"] and r["annotations"]["description"], r["alert"]


def test_every_alert_expression_parses_and_names_known_metrics():
    for r in alert_rules():
        names = metric_names(r["expr"])
        assert names and names <= KNOWN_METRICS, f"{r['alert']}: {sorted(names)}"


@pytest.mark.parametrize(
    ("alert", "duration", "must_use"),
    [
        ("CrowdsourceHighErrorRate", "10m", ['status=~"5.."', "> 0.05"]),
        ("CrowdsourceHighLatencyP99", "10m", ["histogram_quantile(0.99,", "> 2.5"]),
        ("CrowdsourceDashboardRefreshStale", "15m", ["time() -", "> 8 * 3600"]),
        ("CrowdsourceDashboardRefreshNeverSucceeded", "8h",
         ["unless count by (namespace) (crowdsource_refresh_last_success_timestamp_seconds)"]),
        ("CrowdsourceDbPoolSaturated", "10m", ['state="in_use"', 'state="max"', "> 0.9"]),
        ("CrowdsourceDbPoolTimeouts", "5m", ["increase(crowdsource_db_pool_timeouts_total"]),
        ("CrowdsourcePodsAtAutoscalerMax", "15m",
         [">= max by", "kube_horizontalpodautoscaler_spec_max_replicas"]),
        ("CrowdsourceMetricsMissing", "10m", ["absent(crowdsource_http_requests_in_flight)"]),
    ],
)  # fmt: skip
def test_alerts_watch_what_the_issue_asks_for(alert, duration, must_use):
    rule = next(r for r in alert_rules() if r["alert"] == alert)
    assert rule["for"] == duration
    expr = " ".join(rule["expr"].split())
    for text in must_use:
        assert text in expr, f"{alert}: {text}"


# --- what the stacks provision -------------------------------------------------------------


def test_dev_is_scraped_through_pod_annotations_without_operator_objects(stack):
    cap = stack("dev")
    annotations = cap.one(DEPLOYMENT).plain_inputs["spec"]["template"]["metadata"]["annotations"]
    assert SCRAPE_ANNOTATIONS.items() <= annotations.items()
    assert cap.of_type(SERVICE_MONITOR) == [] and cap.of_type(PROMETHEUS_RULE) == []
    assert [r.name for r in cap.of_type(CONFIG_MAP)] == ["crowdsource-config"]


@pytest.mark.parametrize("name", ["test", "prod"])
def test_test_and_prod_get_a_service_monitor_alert_rules_and_the_dashboard(stack, name):
    cap = stack(name)
    pod_meta = cap.one(DEPLOYMENT).plain_inputs["spec"]["template"]["metadata"]
    assert not any(k.startswith("prometheus.io/") for k in pod_meta["annotations"]), (
        "the ServiceMonitor scrapes; annotations would make a second scrape"
    )
    service = cap.one(SERVICE).plain_inputs
    monitor = cap.one(SERVICE_MONITOR).plain_inputs
    assert monitor["metadata"]["namespace"] == service["metadata"]["namespace"]
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    selected = monitor["spec"]["selector"]["matchLabels"]
    assert selected.items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in [p["name"] for p in service["spec"]["ports"]]
    assert (endpoint["path"], endpoint["interval"]) == ("/metrics", "30s")
    assert cap.one(SERVICE).urn in cap.one(SERVICE_MONITOR).dependencies

    rules = cap.one(PROMETHEUS_RULE).plain_inputs
    assert rules["spec"] == yaml.safe_load(ALERTS_FILE.read_text())["spec"]
    assert rules["metadata"]["labels"]["release"] == "kube-prometheus-stack"

    board = cap.one(CONFIG_MAP, "grafana-dashboard").plain_inputs
    assert board["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert board["data"] == {"crowdsource.json": DASHBOARD_FILE.read_text()}


@pytest.mark.parametrize("name", STACKS)
def test_network_policy_admits_prometheus_on_the_app_port(stack, name):
    policy = stack(name).one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policy")
    scraper = policy.plain_inputs["spec"]["ingress"][1]
    assert scraper["ports"] == [{"protocol": "TCP", "port": 8080}]
    (peer,) = scraper["from"]
    assert peer["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
    }
    if name != "dev":
        assert peer["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}


def test_monitoring_settings_come_from_config():
    cap = build_stack(
        "dev",
        monitoring={
            "serviceMonitor": True,
            "grafanaDashboard": True,
            "scrapeInterval": "1m",
            "prometheusNamespace": "observability",
            "dashboardLabels": {"grafana_dashboard": "crowdsource"},
            "dashboardNamespace": "grafana",
        },
    )
    assert cap.one(SERVICE_MONITOR).plain_inputs["spec"]["endpoints"][0]["interval"] == "1m"
    assert cap.of_type(PROMETHEUS_RULE) == []
    board = cap.one(CONFIG_MAP, "grafana-dashboard").plain_inputs["metadata"]
    assert board["namespace"] == "grafana"
    assert board["labels"]["grafana_dashboard"] == "crowdsource"
    policy = cap.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-policy")
    peer = policy.plain_inputs["spec"]["ingress"][1]["from"][0]
    assert peer == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}
    }


@pytest.mark.parametrize(
    ("monitoring", "message"),
    [
        ({"serviceMonitor": "yes"}, "crowdsource:monitoring.serviceMonitor: expected true"),
        ({"scrapeInterval": "30"}, "crowdsource:monitoring.scrapeInterval: '30' is not a duration"),
        ({"prometheusNamespace": "Mon"}, "crowdsource:monitoring.prometheusNamespace: 'Mon'"),
        ({"grafana": True}, "crowdsource:monitoring: unknown setting 'grafana'"),
    ],
)
def test_bad_monitoring_config_stops_with_the_key_named(monitoring, message):
    with pytest.raises(ConfigError) as caught:
        build_stack("dev", monitoring=monitoring)
    assert str(caught.value).startswith(message)


# --- render --------------------------------------------------------------------------------


def test_render_writes_the_monitoring_objects(cli, tmp_path):
    out = tmp_path / "rendered"
    result = cli.run(
        "k8s", "render", "--stack", "prod", "--out", str(out), DB_PASS="x", timeout=120
    )
    assert result.returncode == 0, result.stderr
    written = {f: yaml.safe_load(f.read_text()) for f in out.glob("*/*.yaml")}
    by_kind = {(o["kind"], f.parent.name) for f, o in written.items()}
    assert {("ServiceMonitor", "2-app"), ("PrometheusRule", "2-app")} <= by_kind
    board = next(o for o in written.values() if o["metadata"]["name"] == "crowdsource-dashboard")
    assert json.loads(board["data"]["crowdsource.json"]) == dashboard()
    for obj in written.values():
        validate(obj, kubernetes_validate.latest_version())
