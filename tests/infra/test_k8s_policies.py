"""The Kubernetes policies pass on every k8s stack and each one catches a bad object."""

from __future__ import annotations

import copy

import pytest

from infra.k8s.policies import K8S_POLICIES
from infra.policy import Resource, check_capture, evaluate
from tests.infra.test_k8s_stack import STACKS

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


@pytest.mark.parametrize("name", STACKS)
def test_k8s_stacks_have_no_violations(stack, name):
    assert check_capture(stack(name), K8S_POLICIES) == []


def _deployment(stack) -> dict:
    return copy.deepcopy(stack("dev").one(DEPLOYMENT).plain_inputs)


def _container(props: dict) -> dict:
    return props["spec"]["template"]["spec"]["containers"][0]


def _root(p):
    p["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = False


def _escalation(p):
    _container(p)["securityContext"]["allowPrivilegeEscalation"] = True


def _no_limits(p):
    _container(p)["resources"] = {}


def _literal_password(p):
    _container(p)["env"] = [{"name": "DB_PASS", "value": "hunter2"}]


def _no_probe(p):
    del _container(p)["readinessProbe"]


@pytest.mark.parametrize(
    ("policy", "spoil"),
    [
        ("k8s-pods-hardened", _root),
        ("k8s-pods-hardened", _escalation),
        ("k8s-resources-set", _no_limits),
        ("k8s-no-literal-secret-env", _literal_password),
        ("k8s-web-probes", _no_probe),
    ],
)
def test_each_workload_policy_catches_a_bad_deployment(stack, policy, spoil):
    props = _deployment(stack)
    assert evaluate([Resource(DEPLOYMENT, "web", props)], K8S_POLICIES) == []
    spoil(props)
    found = evaluate([Resource(DEPLOYMENT, "web", props)], K8S_POLICIES)
    assert [v.policy for v in found] == [policy]


def test_secret_looking_config_map_keys_are_caught():
    bad = Resource("kubernetes:core/v1:ConfigMap", "cm", {"data": {"DB_PASSWORD": "x"}})
    assert [v.policy for v in evaluate([bad], K8S_POLICIES)] == ["k8s-no-secret-in-configmap"]


def test_beta_apis_are_caught():
    bad = Resource("kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler", "hpa", {})
    assert [v.policy for v in evaluate([bad], K8S_POLICIES)] == ["k8s-ga-apis"]


def test_the_policy_pack_wires_every_policy():
    from infra.policies import ALL_POLICIES

    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names))
    assert {p.name for p in K8S_POLICIES} <= set(names)


def test_the_policy_pack_reports_through_the_same_functions(monkeypatch, stack):
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    import pulumi_policy

    from infra.policies import ALL_POLICIES

    seen: dict = {}
    # Constructing a real PolicyPack starts its gRPC server: record the arguments instead.
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda name, **kw: seen.update(kw, name=name))
    pack = Path(__file__).resolve().parents[2] / "infra" / "policy_pack" / "__main__.py"
    runpy.run_path(str(pack))
    assert seen["name"] == "crowdsource"
    assert [p.name for p in seen["policies"]] == [p.name for p in ALL_POLICIES]

    hardened = next(p for p in seen["policies"] if p.name == "k8s-pods-hardened")
    props = _deployment(stack)
    _root(props)
    reports: list[str] = []
    args = SimpleNamespace(resource_type=DEPLOYMENT, props=props)
    hardened.validate(args, lambda message, urn=None: reports.append(message))
    assert reports == ["the pod must set securityContext.runAsNonRoot: true"]
