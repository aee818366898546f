"""How traffic reaches web pods (Service, Ingress), and what pods may reach (NetworkPolicy)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pulumi

from infra.k8s.manifests import APP_COMPONENTS, Manifest, meta, selector
from infra.k8s.observability import scraper_peer
from infra.k8s.spec import APP_NAME, APP_PORT, AppArgs

# The app's public URL space, and nothing else: /metrics (and /readyz, which would tell anyone
# which dependency is down) match no rule, so the controller answers 404 itself. Prefix matches
# whole path elements (`/me` takes /me/contributions, never /metrics) in nginx, the AWS Load
# Balancer Controller and GKE's Ingress alike. A new top-level public route needs a line here;
# tests/infra/test_k8s_monitoring.py compares this list with the app's routes.
PUBLIC_PATHS: tuple[tuple[str, str], ...] = (
    ("/", "Exact"),  # the home page; as a Prefix it would match everything
    ("/api", "Prefix"),  # the JSON API, /api/v1/...
    ("/static", "Prefix"),  # CSS, scripts, icons
    ("/public", "Prefix"),  # published dashboard JSON when no CDN serves it
    ("/speak", "Prefix"),
    ("/validate", "Prefix"),  # and /validate/<task>/<language> for the typed tasks
    ("/transcribe", "Prefix"),
    ("/translate", "Prefix"),
    ("/label", "Prefix"),
    ("/language", "Exact"),  # the interface-language switcher's form
    ("/feedback", "Exact"),  # the feedback form's page
    ("/key", "Exact"),  # the contributor key: move to another device
    ("/privacy", "Exact"),  # what is kept and how export and deletion work
    ("/certificate", "Exact"),  # the volunteer's own certificate page
    ("/certificates", "Prefix"),  # the public check of a certificate by its code
    ("/i18n", "Prefix"),  # the page scripts' message catalogs
    ("/sw.js", "Exact"),  # the service worker: the app shell offline, the upload queue
    ("/dashboard", "Prefix"),
    ("/profile", "Prefix"),
    ("/me", "Prefix"),  # the contributor's own pages
    ("/my-data", "Exact"),  # "Your data": download it, or have it erased
    ("/healthz", "Exact"),  # for outside uptime checks; says only "the process answers"
)


def _dns_egress() -> dict[str, Any]:
    return {
        "to": [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                },
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }


def _storage_port(args: AppArgs) -> int | None:
    if args.storage.backend == "local":
        return None
    endpoint = args.storage.endpoint_url
    if endpoint:
        parts = urlsplit(endpoint)
        return parts.port or (80 if parts.scheme == "http" else 443)
    return 443


def network_policy(args: AppArgs) -> Manifest:
    """App pods accept traffic only from the ingress controller and Prometheus on the app port,
    and talk only to DNS, the database and the storage API (cloud APIs have no fixed addresses:
    port 443)."""
    sources = args.ingress.sources
    if sources is None:
        sources = [
            {
                "namespaceSelector": {
                    "matchLabels": {
                        "kubernetes.io/metadata.name": args.ingress.controller_namespace
                    }
                }
            }
        ]
    egress = [_dns_egress()]
    if args.postgres is not None:
        egress.append(
            {
                "to": [{"podSelector": {"matchLabels": selector(args, "postgres")}}],
                "ports": [{"protocol": "TCP", "port": 5432}],
            }
        )
    elif args.database is not None:
        egress.append(
            {
                "to": [{"ipBlock": {"cidr": cidr}} for cidr in args.database.cidrs],
                "ports": [{"protocol": "TCP", "port": args.database.port}],
            }
        )
    port = _storage_port(args)
    if port is not None:
        # 443 also carries the cloud identity exchanges (STS for IRSA, the GKE metadata server
        # is node-local and needs no rule).
        egress.append(
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                "ports": [{"protocol": "TCP", "port": port}],
            }
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(args, APP_NAME, "web"),
        "spec": {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/name": APP_NAME,
                    "app.kubernetes.io/instance": args.instance,
                },
                "matchExpressions": [
                    {
                        "key": "app.kubernetes.io/component",
                        "operator": "In",
                        "values": list(APP_COMPONENTS),
                    }
                ],
            },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {"from": list(sources), "ports": [{"protocol": "TCP", "port": APP_PORT}]},
                {"from": [scraper_peer(args)], "ports": [{"protocol": "TCP", "port": APP_PORT}]},
            ],
            "egress": egress,
        },
    }


def service(args: AppArgs) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(args, APP_NAME, "web", annotations=dict(args.service_annotations)),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(args, "web"),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _body_annotations(class_name: str | None, max_upload_mb: int) -> dict[str, str]:
    """How the controller takes request bodies. ingress-nginx: bodies up to the upload limit
    (the app refuses larger ones with 413 either way), and each body read whole by nginx
    before it is passed on (request buffering, nginx's default, stated so that a cluster-wide
    ConfigMap turning it off does not turn it off here): a slow sender then holds an nginx
    connection, never a gunicorn one. ALB and GCE have no such annotations; the app's own
    worker reads bodies under deadlines either way (app/server/worker.py, docs/deploy.md)."""
    if class_name != "nginx":
        return {}
    return {
        "nginx.ingress.kubernetes.io/proxy-body-size": f"{max_upload_mb + 1}m",
        "nginx.ingress.kubernetes.io/proxy-request-buffering": "on",
    }


def ingress(args: AppArgs) -> Manifest:
    """The public entry: only PUBLIC_PATHS reach the app."""
    spec_in = args.ingress
    annotations: dict[str, pulumi.Input[str]] = {}
    annotations.update(_body_annotations(spec_in.class_name, args.max_upload_mb))
    annotations.update(spec_in.annotations)
    backend = {"service": {"name": APP_NAME, "port": {"name": "http"}}}
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {"path": path, "pathType": path_type, "backend": backend}
                for path, path_type in PUBLIC_PATHS
            ]
        }
    }
    spec: dict[str, Any] = {}
    if spec_in.class_name:
        spec["ingressClassName"] = spec_in.class_name
    if spec_in.host:
        rule["host"] = spec_in.host
        if spec_in.tls_secret:
            spec["tls"] = [{"hosts": [spec_in.host], "secretName": spec_in.tls_secret}]
    spec["rules"] = [rule]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(args, APP_NAME, "web", annotations=annotations),
        "spec": spec,
    }
