"""How the internet reaches the app on GKE: GKE's own Ingress controller builds an external
Application Load Balancer from the app's Ingress; we give it a static IP, a Google-managed
certificate, a BackendConfig (Cloud Armor, health check) and a port-80 redirect to HTTPS.

BackendConfig and ManagedCertificate are GKE custom resources: they have no schema in
kubernetes-validate (the schema test skips them by name) and live next to the app's objects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from infra.gcp.cdn import https_redirect
from infra.gcp.component import children_of
from infra.gcp.settings import GcpSettings
from infra.k8s.spec import APP_NAME, APP_PORT, Ingress

# Google's front ends and health checkers connect to the pods (container-native load
# balancing) from these ranges only: the app's NetworkPolicy admits them and nothing else.
GOOGLE_FRONT_ENDS = ("130.211.0.0/22", "35.191.0.0/16")
# The GKE metadata server as Dataplane V2 pods see it (Workload Identity tokens).
GKE_METADATA_SERVER = (("169.254.169.254", 80), ("169.254.169.252", 988))


@dataclass(frozen=True)
class AppEntryArgs:
    settings: GcpSettings  # the app's domain


class AppEntry(pulumi.ComponentResource):
    """The app's static IP and port-80 redirect, and the Ingress settings that use them."""

    address: gcp.compute.GlobalAddress
    ingress: Ingress
    service_annotations: dict[str, str]

    def __init__(self, name: str, args: AppEntryArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("crowdsource:gcp:AppEntry", name, None, opts)
        self.address = _address_and_redirect(name, children_of(self, opts))
        self.ingress, self.service_annotations = _ingress_settings(args.settings, self.address)
        self.register_outputs({"address": self.address.address})


def _address_and_redirect(name: str, opts: pulumi.ResourceOptions) -> gcp.compute.GlobalAddress:
    address = gcp.compute.GlobalAddress(
        f"{name}-app-ip", name=f"{name}-app", ip_version="IPV4", opts=opts
    )
    # GKE's Ingress makes a classic external load balancer ("EXTERNAL"); the redirect shares
    # its address on port 80, so it must use the same scheme.
    https_redirect(f"{name}-app", address, "EXTERNAL", opts)
    return address


def _ingress_settings(
    settings: GcpSettings, address: gcp.compute.GlobalAddress
) -> tuple[Ingress, dict[str, str]]:
    ingress = Ingress(
        # The annotation, not spec.ingressClassName: GKE documents it for every version, and
        # the two cannot be set together.
        class_name=None,
        host=settings.domain,
        annotations={
            "kubernetes.io/ingress.class": "gce",
            "kubernetes.io/ingress.global-static-ip-name": address.name,
            "networking.gke.io/managed-certificates": APP_NAME,
            # HTTPS only on the Ingress's own load balancer; port 80 is the redirect above.
            "kubernetes.io/ingress.allow-http": "false",
        },
        sources=[{"ipBlock": {"cidr": cidr}} for cidr in GOOGLE_FRONT_ENDS],
    )
    service_annotations = {
        "cloud.google.com/backend-config": json.dumps({"default": APP_NAME}),
        # Container-native load balancing: the load balancer sends to pod IPs directly.
        "cloud.google.com/neg": json.dumps({"ingress": True}),
    }
    return ingress, service_annotations


def create_gke_objects(
    namespace: str,
    settings: GcpSettings,
    armor: gcp.compute.SecurityPolicy,
    opts: pulumi.ResourceOptions,
    depends_on: Sequence[pulumi.Resource],
) -> list[pulumi.CustomResource]:
    """The BackendConfig the Service names (Cloud Armor + readiness health check), the
    ManagedCertificate the Ingress names, and egress to the GKE metadata server."""
    merged = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(depends_on)))
    labels = {"app.kubernetes.io/name": APP_NAME, "app.kubernetes.io/part-of": APP_NAME}
    backend_config = k8s.apiextensions.CustomResource(
        f"{APP_NAME}-backend-config",
        api_version="cloud.google.com/v1",
        kind="BackendConfig",
        metadata={"name": APP_NAME, "namespace": namespace, "labels": labels},
        spec={
            "securityPolicy": {"name": armor.name},
            # The load balancer's own probe: /readyz, like the pods' readiness probe, so a pod
            # whose database is unreachable gets no traffic.
            "healthCheck": {
                "type": "HTTP",
                "requestPath": "/readyz",
                "port": APP_PORT,
                "checkIntervalSec": 10,
                "timeoutSec": 3,
            },
            # Uploads can take a while on slow mobile links.
            "timeoutSec": 60,
            "connectionDraining": {"drainingTimeoutSec": 30},
            "logging": {"enable": True, "sampleRate": 0.1},
        },
        opts=merged,
    )
    certificate = k8s.apiextensions.CustomResource(
        f"{APP_NAME}-managed-certificate",
        api_version="networking.gke.io/v1",
        kind="ManagedCertificate",
        metadata={"name": APP_NAME, "namespace": namespace, "labels": labels},
        spec={"domains": [settings.domain]},
        opts=merged,
    )
    # The component's NetworkPolicy limits egress to DNS, the database and port 443; on GKE
    # Dataplane V2 (all Autopilot clusters) pods fetch their Workload Identity tokens from the
    # GKE metadata server at these addresses, which that policy would block. Policies add up:
    # this one opens only them, only for the app's pods.
    name = f"{APP_NAME}-metadata-egress"
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": APP_NAME}},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [{"ipBlock": {"cidr": f"{address}/32"}}],
                "ports": [{"protocol": "TCP", "port": port}],
            }
            for address, port in GKE_METADATA_SERVER
        ],
    }
    # Plain dicts in Kubernetes' own field names, as the component writes them.
    metadata_access = k8s.networking.v1.NetworkPolicy(
        name,
        metadata=cast(k8s.meta.v1.ObjectMetaArgsDict, metadata),
        spec=cast(k8s.networking.v1.NetworkPolicySpecArgsDict, spec),
        opts=merged,
    )
    return [backend_config, certificate, metadata_access]
