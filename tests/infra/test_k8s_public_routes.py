"""The public Ingress routes the app's public pages and API, and nothing else: /metrics (and
/readyz) match no rule of any Ingress of any stack (k8s, aws, gcp), under Kubernetes'
path-matching rules, which nginx, the AWS Load Balancer Controller and GKE's Ingress follow."""

from __future__ import annotations

import re
import tempfile
from typing import Any

import pytest

from infra.k8s.network import PUBLIC_PATHS
from tests.infra.conftest import ROOT

ALL_STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def ingress_routes(path: str, rule_path: str, path_type: str) -> bool:
    """Kubernetes' Ingress path matching: Exact is the whole path; Prefix compares whole path
    elements (`/me` takes /me and /me/x, never /metrics)."""
    if path_type == "Exact":
        return path == rule_path
    assert path_type == "Prefix", f"{path_type}: the controller decides; cannot prove a refusal"
    wanted = [e for e in rule_path.split("/") if e]
    return [e for e in path.split("/") if e][: len(wanted)] == wanted


def routed(ingress: dict[str, Any], path: str) -> bool:
    return any(
        ingress_routes(path, p["path"], p["pathType"])
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    )


PUBLIC_SAMPLES = [
    "/", "/api/v1/languages", "/speak/hi", "/static/site.css", "/public/dashboard/manifest.json",
    "/validate", "/dashboard", "/me/contributions", "/healthz", "/transcribe/hi", "/label/hi",
    "/translate/en/hi", "/validate/label/hi", "/language", "/i18n/hi.json", "/feedback",
    "/certificate", "/certificates/K7QM-3XRT-9HWB", "/key", "/privacy", "/my-data", "/me/badges",
    "/sw.js",
]  # fmt: skip
REFUSED_SAMPLES = ["/metrics", "/metrics/", "/metricsx", "/readyz", "/admin"]


@pytest.mark.parametrize("name", ALL_STACKS)
def test_metrics_is_refused_by_every_ingress_of_every_stack(stack, name):
    ingresses = [r.plain_inputs for r in stack(name).of_type(INGRESS)]
    assert ingresses
    for ingress in ingresses:
        assert "defaultBackend" not in ingress["spec"], "a default backend would take /metrics"
        for path in PUBLIC_SAMPLES:
            assert routed(ingress, path), path
        for path in REFUSED_SAMPLES:
            assert not routed(ingress, path), path


def test_every_public_route_of_the_app_is_routed_and_no_other(stack):
    from app import create_app
    from app.settings import load_settings

    folder = tempfile.mkdtemp()
    url = "postgresql://nobody@127.0.0.1:9/none"  # never connected: the pool opens lazily
    settings = load_settings(
        {"DATABASE_URL": url, "SECRET_KEY": "k" * 40, "STORAGE_DIR": folder, "DATA_DIR": folder}
    )
    rules = [r.rule for r in create_app(settings, database_url=url).url_map.iter_rules()]
    assert "/metrics" in rules
    internal = {"/metrics", "/readyz"}
    ingress = stack("dev").one(INGRESS).plain_inputs
    for rule in rules:
        sample = re.sub(r"<[^>]+>", "x", rule)
        assert routed(ingress, sample) == (rule not in internal), rule
    # Every public path serves some route: no stale entries.
    for path, _ in PUBLIC_PATHS:
        assert any(re.sub(r"<[^>]+>", "x", r).startswith(path) for r in rules), path
