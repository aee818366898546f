"""How Prometheus and Grafana see the app: the scrape configuration (a ServiceMonitor, or the
common prometheus.io annotations), the alert rules and the Grafana dashboard.

The rules and the dashboard are files in infra/k8s/monitoring/, read when the program runs: the
same files serve people who provision Prometheus and Grafana by hand, and a change to them
reaches the cluster on the next `pulumi up`. Infra knows the app's metrics only by name (those
files); tests/infra/test_k8s_monitoring.py checks each name against the app's list.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from infra.k8s.manifests import Manifest, meta, selector
from infra.k8s.spec import APP_NAME, APP_PORT, METRICS_PATH, AppArgs

MONITORING_DIR = Path(__file__).resolve().parent / "monitoring"
DASHBOARD_FILE = MONITORING_DIR / "dashboard.json"
ALERTS_FILE = MONITORING_DIR / "alerts.yaml"
DASHBOARD_KEY = f"{APP_NAME}.json"
COMPONENT = "monitoring"


def scrape_annotations(args: AppArgs) -> dict[str, str]:
    """The prometheus.io annotations for the web pods, when no ServiceMonitor does the job.
    Never both: an annotation-based job beside the operator would scrape every pod twice."""
    if args.monitoring.service_monitor:
        return {}
    return {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(APP_PORT),
        "prometheus.io/path": METRICS_PATH,
    }


def scraper_peer(args: AppArgs) -> dict[str, Any]:
    """The NetworkPolicy peer for Prometheus: its namespace, and its pods when labels are
    given. Prometheus scrapes pod addresses directly: the ingress controller's rule won't do."""
    monitoring = args.monitoring
    peer: dict[str, Any] = {
        "namespaceSelector": {
            "matchLabels": {"kubernetes.io/metadata.name": monitoring.prometheus_namespace}
        }
    }
    if monitoring.prometheus_pod_labels:
        peer["podSelector"] = {"matchLabels": dict(monitoring.prometheus_pod_labels)}
    return peer


def _operator_meta(args: AppArgs, name: str) -> dict[str, Any]:
    metadata = meta(args, name, COMPONENT)
    metadata["labels"] = {**metadata["labels"], **args.monitoring.operator_labels}
    return metadata


def service_monitor(args: AppArgs) -> Manifest:
    """Scrape the web Service's endpoints (every ready pod) on the http port at /metrics."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _operator_meta(args, APP_NAME),
        "spec": {
            "selector": {"matchLabels": selector(args, "web")},
            "namespaceSelector": {"matchNames": [args.namespace]},
            "endpoints": [
                {
                    "port": "http",
                    "path": METRICS_PATH,
                    "scheme": "http",
                    "interval": args.monitoring.scrape_interval,
                    # Gauges read from the database at scrape time: give them a moment.
                    "scrapeTimeout": "10s",
                }
            ],
        },
    }


def load_alert_rules() -> dict[str, Any]:
    """The PrometheusRule object in infra/k8s/monitoring/alerts.yaml, as written there."""
    rule = yaml.safe_load(ALERTS_FILE.read_text(encoding="utf-8"))
    if not isinstance(rule, dict) or rule.get("kind") != "PrometheusRule":
        raise ValueError(f"{ALERTS_FILE}: expected a PrometheusRule object")
    return rule


def prometheus_rule(args: AppArgs) -> Manifest:
    """The alert rules from the file, with this installation's name, namespace and labels."""
    rule = load_alert_rules()
    return {
        "apiVersion": rule["apiVersion"],
        "kind": "PrometheusRule",
        "metadata": _operator_meta(args, APP_NAME),
        "spec": rule["spec"],
    }


def dashboard_config_map(args: AppArgs) -> Manifest:
    """The dashboard JSON in a ConfigMap labelled for the Grafana sidecar, which loads it."""
    text = DASHBOARD_FILE.read_text(encoding="utf-8")
    json.loads(text)  # a broken file stops `pulumi up` here, not silently in Grafana
    monitoring = args.monitoring
    metadata = meta(args, f"{APP_NAME}-dashboard", COMPONENT)
    metadata["labels"] = {**metadata["labels"], **monitoring.dashboard_labels}
    if monitoring.dashboard_namespace:
        metadata["namespace"] = monitoring.dashboard_namespace
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {DASHBOARD_KEY: text},
    }
