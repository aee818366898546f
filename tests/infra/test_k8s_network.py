"""Who may talk to whom: the NetworkPolicies of the app and of the in-cluster PostgreSQL, and
the namespace's Pod Security Standard, peer by peer (the mutation check flips each)."""

from __future__ import annotations

from typing import Any

from infra.capture import Capture

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
KUBE_DNS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def app_policy(cap: Capture) -> dict[str, Any]:
    return cap.one(POLICY, "network-policy").plain_inputs["spec"]


def test_app_pods_reach_only_dns_the_database_network_and_storage_over_https(stack):
    egress = app_policy(stack("prod"))["egress"]
    assert egress == [
        {"to": [KUBE_DNS], "ports": DNS_PORTS},
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"protocol": "TCP", "port": 5432}]},
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
    ]


def test_in_dev_app_pods_reach_only_dns_and_the_postgres_pods(stack):
    egress = app_policy(stack("dev"))["egress"]
    postgres = {
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/name": "crowdsource",
                "app.kubernetes.io/instance": "dev",
                "app.kubernetes.io/component": "postgres",
            }
        }
    }
    assert egress == [
        {"to": [KUBE_DNS], "ports": DNS_PORTS},
        {"to": [postgres], "ports": [{"protocol": "TCP", "port": 5432}]},
    ]


def test_the_policy_covers_every_app_pod(stack):
    selector = app_policy(stack("prod"))["podSelector"]
    assert selector["matchLabels"] == {
        "app.kubernetes.io/name": "crowdsource",
        "app.kubernetes.io/instance": "prod",
    }
    assert selector["matchExpressions"] == [
        {
            "key": "app.kubernetes.io/component",
            "operator": "In",
            "values": ["web", "migrate", "refresh"],
        }
    ]


def test_only_the_app_pods_reach_the_in_cluster_postgres_which_reaches_nothing(stack):
    spec = stack("dev").one(POLICY, "postgres-policy").plain_inputs["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["egress"] == []
    (rule,) = spec["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5432}]
    assert rule["from"] == [
        {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/name": "crowdsource",
                    "app.kubernetes.io/instance": "dev",
                }
            }
        }
    ]


def test_the_namespace_enforces_the_restricted_pod_security_standard(stack):
    labels = stack("prod").one("kubernetes:core/v1:Namespace").plain_inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
