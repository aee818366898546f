"""Typed inputs of the Kubernetes component, and the sizing presets.

Values that come from other resources (a database endpoint, a bucket name, a generated password)
may be Pulumi inputs; everything else is plain data, so a stack file reads like what it sets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

APP_NAME = "crowdsource"
APP_PORT = 8080
# Where the app serves Prometheus metrics, on APP_PORT (never routed by the public Ingress).
METRICS_PATH = "/metrics"
TMP_DIR = "/tmp"
MEDIA_DIR = "/data/media"
# The image's user (see the Dockerfile); the pods run as it, never as root.
APP_UID = 10001

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# The modes in which libpq checks the server's certificate against a CA (sslrootcert).
VERIFYING_SSLMODES = ("verify-ca", "verify-full")
# A role name the migration Job may create: a plain lower-case identifier (never quoted).
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_role_name(name: str) -> str:
    """`name` if it is a plain PostgreSQL identifier; ValueError otherwise."""
    if not _ROLE_NAME.match(name):
        raise ValueError(f"{name!r} is not a plain role name (a-z, 0-9, _; at most 63)")
    return name


@dataclass(frozen=True)
class Size:
    """Pod size and autoscaling of the web Deployment."""

    cpu: str
    memory: str
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int
    workers: int
    threads: int


# The original platform's HPA profiles: dev on small pods that scale early (10 % CPU), test on
# 2-CPU pods at 40 %. Prod keeps test's pods and target and may grow further.
PRESETS: Mapping[str, Size] = {
    "dev": Size("250m", "250Mi", 1, 10, 10, workers=1, threads=4),
    "test": Size("2", "2Gi", 3, 10, 40, workers=4, threads=4),
    "prod": Size("2", "2Gi", 3, 20, 40, workers=4, threads=4),
}


@dataclass(frozen=True)
class Database:
    """An existing PostgreSQL (managed or self-hosted). The password reaches pods via the Secret."""

    host: pulumi.Input[str]
    password: pulumi.Input[str]
    name: pulumi.Input[str] = "crowdsource"
    user: pulumi.Input[str] = "crowdsource"
    port: int = 5432
    sslmode: str = "require"
    # Where the database lives, for the egress NetworkPolicy (default: anywhere on port 5432).
    cidrs: Sequence[str] = ("0.0.0.0/0",)
    # PEM of the CA that signed the server's certificate (the RDS CA bundle, Cloud SQL's server
    # CA): shipped to the pods and named by sslrootcert. verify-ca and verify-full need it.
    ca_certificate: pulumi.Input[str] | None = None
    # The least-privilege role the app's pods connect as, made (or updated) by the migration
    # Job, which alone connects as `user` (the owner, e.g. the RDS master user). None: every
    # pod connects as `user` (a database whose operator made a limited user themselves).
    app_user: str | None = "crowdsource_app"
    # Trust the image's system CA store instead (sslrootcert=system, libpq 16 and later; libpq
    # then requires verify-full). For a server certificate from a public CA.
    system_ca: bool = False

    def __post_init__(self) -> None:
        if self.sslmode not in SSLMODES:
            raise ValueError(f"sslmode {self.sslmode!r} is not one of {', '.join(SSLMODES)}")
        if self.ca_certificate is not None and self.system_ca:
            raise ValueError("give the database's CA certificate or use the system CAs, not both")
        if (
            self.sslmode in VERIFYING_SSLMODES
            and self.ca_certificate is None
            and not self.system_ca
        ):
            raise ValueError(
                f"sslmode {self.sslmode} checks the server's certificate: give the CA that "
                "signed it (ca_certificate) or use the system CAs (system_ca)"
            )
        if self.system_ca and self.sslmode != "verify-full":
            raise ValueError("the system CAs (sslrootcert=system) need sslmode verify-full")
        if self.app_user is not None:
            check_role_name(self.app_user)


@dataclass(frozen=True)
class InClusterPostgres:
    """A single PostgreSQL pod with a volume, for clusters without a managed database."""

    password: pulumi.Input[str]
    volume_size: str = "10Gi"
    storage_class: str | None = None
    image: str = "postgres:16-alpine"
    name: str = "crowdsource"
    user: str = "crowdsource"
    # As Database.app_user: the web pods connect as this role, made by the migration Job.
    app_user: str | None = "crowdsource_app"

    def __post_init__(self) -> None:
        if self.app_user is not None:
            check_role_name(self.app_user)


@dataclass(frozen=True)
class Storage:
    """Where recordings and dashboard JSON go. `local` mounts a volume at MEDIA_DIR: with
    ReadWriteOnce, every pod must share one node (single-node dev clusters); use s3 or gcs,
    or a ReadWriteMany class, anywhere else."""

    backend: Literal["local", "s3", "gcs"] = "local"
    bucket: pulumi.Input[str] | None = None
    region: pulumi.Input[str] | None = None
    endpoint_url: str | None = None
    project: pulumi.Input[str] | None = None
    volume_size: str = "20Gi"
    access_mode: str = "ReadWriteOnce"
    storage_class: str | None = None


@dataclass(frozen=True)
class Ingress:
    """The public entry. `annotations` are the controller's own (ALB, GCE, nginx…)."""

    class_name: str | None = "nginx"
    host: str | None = None
    tls_secret: str | None = None
    annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Who may open connections to the pods: NetworkPolicy peers. Default: the ingress
    # controller's namespace. ALB (target type ip) and GCE NEGs connect from address ranges.
    sources: Sequence[Mapping[str, Any]] | None = None
    controller_namespace: str = "ingress-nginx"


@dataclass(frozen=True)
class Monitoring:
    """How Prometheus and Grafana see the app. Off by default: scrape annotations on the web
    pods only, which annotation-based Prometheus setups pick up and others ignore. The Prometheus
    Operator objects (ServiceMonitor, PrometheusRule) need its CRDs in the cluster; the dashboard
    ConfigMap needs a Grafana sidecar watching for `dashboard_labels`."""

    service_monitor: bool = False
    prometheus_rule: bool = False
    grafana_dashboard: bool = False
    scrape_interval: str = "30s"
    # Where the scraper runs, for the NetworkPolicy: its namespace and, optionally, pod labels.
    prometheus_namespace: str = "monitoring"
    prometheus_pod_labels: Mapping[str, str] = field(default_factory=dict)
    # Labels the operator's serviceMonitorSelector / ruleSelector ask for (kube-prometheus-stack:
    # release: <its Helm release>).
    operator_labels: Mapping[str, str] = field(default_factory=dict)
    dashboard_labels: Mapping[str, str] = field(default_factory=lambda: {"grafana_dashboard": "1"})
    # The Grafana sidecar's namespace when it does not search all namespaces; default: the app's.
    dashboard_namespace: str | None = None


@dataclass(frozen=True)
class AppArgs:
    """Everything the component needs; see infra/k8s/config.py for the stack-config keys."""

    image: str
    secret_key: pulumi.Input[str]
    namespace: str = APP_NAME
    size: Size = PRESETS["dev"]
    database: Database | None = None
    postgres: InClusterPostgres | None = None
    storage: Storage = field(default_factory=Storage)
    ingress: Ingress = field(default_factory=Ingress)
    # Plain settings for the ConfigMap (LOG_LEVEL, VOTES_TO_DECIDE, CDN_BASE_URL…).
    settings: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Extra secret environment (e.g. keys for a self-hosted S3 such as MinIO).
    secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # IRSA (eks.amazonaws.com/role-arn) or Workload Identity (iam.gke.io/gcp-service-account).
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # E.g. GKE's cloud.google.com/backend-config naming a BackendConfig.
    service_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    refresh_schedule: str = "0 */4 * * *"
    max_upload_mb: int = 5
    instance: str = "default"
    monitoring: Monitoring = field(default_factory=Monitoring)
    # The password of the app's role (database.app_user / postgres.app_user); read_app_args
    # generates one and keeps it in the stack.
    app_password: pulumi.Input[str] | None = None
    # Objects a cloud needs in the app's namespace before any of the app's pods starts (on EKS
    # the SecurityGroupPolicy that gives the pods their security group): created after the
    # namespace, and every pod-bearing object (Job, Deployment, CronJob, StatefulSet) waits
    # for them. A manifest without metadata.namespace gets the app's.
    pod_prerequisites: Sequence[Mapping[str, Any]] = ()

    def __post_init__(self) -> None:
        if (self.database is None) == (self.postgres is None):
            raise ValueError("give exactly one of database (external) or postgres (in-cluster)")
        login = self.database or self.postgres
        if login is not None and login.app_user is not None:
            if self.app_password is None:
                raise ValueError(f"the app role {login.app_user} needs a password (app_password)")
            if login.app_user == login.user:
                raise ValueError(f"the app role and the owner are both {login.app_user}")
        if self.storage.backend in ("s3", "gcs") and not self.storage.bucket:
            raise ValueError(f"storage backend {self.storage.backend} needs a bucket")
        size = self.size
        if not 1 <= size.min_replicas <= size.max_replicas:
            raise ValueError("autoscaling needs 1 <= min <= max replicas")
        if not 1 <= size.target_cpu_percent <= 100:
            raise ValueError("the CPU target is a percentage between 1 and 100")
