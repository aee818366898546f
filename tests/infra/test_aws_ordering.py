"""On a fresh account the first `pulumi up` creates everything at once: whatever needs the EKS
cluster, the RDS instance or the load balancer controller must wait for it. The mocks make each
of them slow in turn (build_stack(delays=...)); nothing that needs it may be registered first."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.capture import Capture, Registered
from tests.infra.conftest import build_stack

STACKS = ["aws-dev", "aws-prod"]
DELAY = 1.0  # seconds: far longer than the rest of the program takes to register
EKS = "aws:eks/cluster:Cluster"
RDS = "aws:rds/instance:Instance"
HELM = "kubernetes:helm.sh/v3:Release"
LB_CONTROLLER = "addons-lb-controller"  # the Helm release's logical name (and its role's)
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"

Match = Callable[[Registered], bool]


def _position(cap: Capture, match: Match) -> list[int]:
    return [i for i, r in enumerate(cap.resources) if match(r)]


def _kind(kind: str) -> Match:
    return lambda r: r.type.startswith("kubernetes:") and r.type.endswith(f":{kind}")


def _helm_release(name: str) -> Match:
    return lambda r: r.type == HELM and r.name == name


def _registered_before(cap: Capture, slow: Match, needs_it: Match) -> list[str]:
    """What matches `needs_it` but was registered before the (single) slow resource."""
    (slow_at,) = _position(cap, slow)
    return [f"{cap.resources[i].type} {cap.resources[i].name}" for i in _position(cap, needs_it)
            if i < slow_at]  # fmt: skip


@pytest.mark.parametrize("name", STACKS)
def test_nothing_of_the_cluster_is_registered_before_the_cluster(name):
    cap = build_stack(name, delays={EKS: DELAY})

    def needs_cluster(r: Registered) -> bool:
        return (
            r.type.startswith("kubernetes:")
            or r.type == KUBERNETES_PROVIDER
            or r.type.startswith("aws:eks/")
            or r.type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
        ) and r.type != EKS

    assert _registered_before(cap, lambda r: r.type == EKS, needs_cluster) == []
    # The Kubernetes provider, and so everything on the cluster, waits for the cluster.
    assert _position(cap, lambda r: r.type == KUBERNETES_PROVIDER)


@pytest.mark.parametrize("name", STACKS)
def test_the_app_waits_for_the_database(name):
    cap = build_stack(name, delays={RDS: DELAY})
    pods = {"Deployment", "Job", "CronJob"}

    def app_workload(r: Registered) -> bool:
        """The app's pods, and the settings that name the database's host."""
        kind = r.type.rsplit(":", 1)[-1]
        metadata = r.plain_inputs.get("metadata") or {}
        return (
            r.type.startswith("kubernetes:")
            and metadata.get("namespace") == "crowdsource"
            and (kind in pods or metadata.get("name") == "crowdsource-config")
        )

    assert _position(cap, app_workload)
    assert _registered_before(cap, lambda r: r.type == RDS, app_workload) == []


@pytest.mark.parametrize("name", STACKS)
def test_the_app_waits_for_the_load_balancer_controller(name):
    """The controller's webhooks must be serving before the app's Service and Ingress are
    admitted, and an Ingress made before the controller runs gets no ALB until it is retried."""
    cap = build_stack(name, delays={HELM: DELAY})

    def app_object(r: Registered) -> bool:
        namespace = (r.plain_inputs.get("metadata") or {}).get("namespace")
        return r.type.startswith("kubernetes:") and namespace == "crowdsource"

    assert len(_position(cap, app_object)) > 5
    controller = _helm_release(LB_CONTROLLER)
    assert _registered_before(cap, controller, app_object) == []


@pytest.mark.parametrize("name", STACKS)
def test_the_app_waits_for_metrics_server(name):
    """The HPA reads pod metrics from metrics-server."""
    cap = build_stack(name, delays={HELM: DELAY})
    hpa = _kind("HorizontalPodAutoscaler")
    assert _position(cap, hpa)
    assert _registered_before(cap, _helm_release("addons-metrics-server"), hpa) == []
