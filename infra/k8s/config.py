"""Stack configuration (`crowdsource:*` keys in Pulumi.<stack>.yaml) → the component's AppArgs.

Every key is documented in docs/deploy.md. A wrong key or value stops the program with one line
naming it, before any resource is registered.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pulumi
import pulumi_random as random

from infra.config_values import (
    ConfigError,
    config_map,
    string_map,
    true_or_false,
    whole_number,
)
from infra.k8s.spec import (
    PRESETS,
    SSLMODES,
    VERIFYING_SSLMODES,
    AppArgs,
    Database,
    InClusterPostgres,
    Ingress,
    Monitoring,
    Size,
    Storage,
    check_role_name,
)

_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_CRON_FIELD = re.compile(r"^[0-9*/,\-]+$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# A Prometheus duration as the operator accepts it (30s, 1m, 1m30s).
_DURATION = re.compile(r"^([0-9]+(ms|s|m|h))+$")

_SIZE_KEYS = {
    "cpu": "cpu",
    "memory": "memory",
    "minReplicas": "min_replicas",
    "maxReplicas": "max_replicas",
    "targetCpuPercent": "target_cpu_percent",
    "workers": "workers",
    "threads": "threads",
}
_INGRESS_KEYS = {"className", "host", "tlsSecret", "annotations", "controllerNamespace"}
_STORAGE_KEYS = {
    "backend", "bucket", "region", "endpointUrl", "project", "volumeSize", "accessMode",
    "storageClass",
}  # fmt: skip
_DATABASE_KEYS = {
    "host", "port", "name", "user", "sslmode", "cidrs", "caCertificate", "sslrootcert", "appUser",
}  # fmt: skip
_POSTGRES_KEYS = {"enabled", "volumeSize", "storageClass", "image", "appUser"}
_MONITORING_KEYS = {
    "serviceMonitor", "prometheusRule", "grafanaDashboard", "scrapeInterval",
    "prometheusNamespace", "prometheusPodLabels", "operatorLabels", "dashboardLabels",
    "dashboardNamespace",
}  # fmt: skip


def _quantity(key: str, value: Any) -> str:
    text = str(value)
    if not _QUANTITY.match(text):
        raise ConfigError(key, f"{text!r} is not a Kubernetes quantity such as 250m, 2 or 512Mi")
    return text


def read_size(config: pulumi.Config, stack: str) -> Size:
    """The preset (key `preset`, default: the stack's name when it is one, else dev) with any
    `size` overrides on top."""
    preset_name = config.get("preset") or (stack if stack in PRESETS else "dev")
    if preset_name not in PRESETS:
        raise ConfigError("preset", f"{preset_name!r} is not one of {', '.join(PRESETS)}")
    overrides = config_map(config, "size", set(_SIZE_KEYS))
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        field = _SIZE_KEYS[key]
        if field in ("cpu", "memory"):
            changes[field] = _quantity(f"size.{key}", value)
        elif field == "target_cpu_percent":
            changes[field] = whole_number(f"size.{key}", value, 1, 100)
        else:
            changes[field] = whole_number(f"size.{key}", value, 1, 500)
    size = replace(PRESETS[preset_name], **changes)
    if size.min_replicas > size.max_replicas:
        raise ConfigError("size", "minReplicas is larger than maxReplicas")
    return size


def read_ingress(config: pulumi.Config) -> Ingress:
    raw = config_map(config, "ingress", _INGRESS_KEYS)
    host = raw.get("host")
    if host is not None and not re.match(r"^[a-z0-9.-]+$", str(host)):
        raise ConfigError("ingress.host", f"{host!r} is not a DNS name")
    return Ingress(
        class_name=raw.get("className", "nginx"),
        host=host,
        tls_secret=raw.get("tlsSecret"),
        annotations=string_map("ingress.annotations", raw.get("annotations", {})),
        controller_namespace=raw.get("controllerNamespace", "ingress-nginx"),
    )


def read_storage(config: pulumi.Config) -> Storage:
    raw = config_map(config, "storage", _STORAGE_KEYS)
    backend = raw.get("backend", "local")
    if backend not in ("local", "s3", "gcs"):
        raise ConfigError("storage.backend", f"{backend!r} is not one of local, s3, gcs")
    if backend != "local" and not raw.get("bucket"):
        raise ConfigError("storage.bucket", f"required for the {backend} backend")
    if raw.get("accessMode", "ReadWriteOnce") not in ("ReadWriteOnce", "ReadWriteMany"):
        raise ConfigError("storage.accessMode", "expected ReadWriteOnce or ReadWriteMany")
    return Storage(
        backend=backend,
        bucket=raw.get("bucket"),
        region=raw.get("region"),
        endpoint_url=raw.get("endpointUrl"),
        project=raw.get("project"),
        volume_size=_quantity("storage.volumeSize", raw.get("volumeSize", "20Gi")),
        access_mode=raw.get("accessMode", "ReadWriteOnce"),
        storage_class=raw.get("storageClass"),
    )


def _name(key: str, value: Any) -> str:
    text = str(value)
    if not _NAME.match(text):
        raise ConfigError(key, f"{text!r} is not a valid Kubernetes name")
    return text


def read_monitoring(config: pulumi.Config) -> Monitoring:
    """The `monitoring` map: which Prometheus Operator and Grafana objects to create, and
    where the scraper runs."""
    raw = config_map(config, "monitoring", _MONITORING_KEYS)
    interval = str(raw.get("scrapeInterval", "30s"))
    if not _DURATION.match(interval):
        raise ConfigError("monitoring.scrapeInterval", f"{interval!r} is not a duration like 30s")
    dashboard_labels = string_map(
        "monitoring.dashboardLabels", raw.get("dashboardLabels", {"grafana_dashboard": "1"})
    )
    if not dashboard_labels:
        raise ConfigError("monitoring.dashboardLabels", "the Grafana sidecar needs a label")
    dashboard_namespace = raw.get("dashboardNamespace")
    return Monitoring(
        service_monitor=true_or_false(
            "monitoring.serviceMonitor", raw.get("serviceMonitor", False)
        ),
        prometheus_rule=true_or_false(
            "monitoring.prometheusRule", raw.get("prometheusRule", False)
        ),
        grafana_dashboard=true_or_false(
            "monitoring.grafanaDashboard", raw.get("grafanaDashboard", False)
        ),
        scrape_interval=interval,
        prometheus_namespace=_name(
            "monitoring.prometheusNamespace", raw.get("prometheusNamespace", "monitoring")
        ),
        prometheus_pod_labels=string_map(
            "monitoring.prometheusPodLabels", raw.get("prometheusPodLabels", {})
        ),
        operator_labels=string_map("monitoring.operatorLabels", raw.get("operatorLabels", {})),
        dashboard_labels=dashboard_labels,
        dashboard_namespace=(
            None
            if dashboard_namespace is None
            else _name("monitoring.dashboardNamespace", dashboard_namespace)
        ),
    )


def generated_secret(name: str) -> pulumi.Output[str]:
    """A random value kept (encrypted) in the stack's state: stable across `pulumi up` runs."""
    return random.RandomPassword(name, length=48, special=False).result


def read_database(
    config: pulumi.Config,
) -> tuple[Database | None, InClusterPostgres | None]:
    """An external database (`database` + secret `databasePassword`), or the in-cluster one
    (`postgres.enabled: true`)."""
    pg = config_map(config, "postgres", _POSTGRES_KEYS)
    db = config_map(config, "database", _DATABASE_KEYS)
    if pg.get("enabled", False) is True:
        if db:
            raise ConfigError("database", "remove it, or set postgres.enabled to false")
        password = config.get_secret("databasePassword") or generated_secret("postgres-password")
        return None, InClusterPostgres(
            password=password,
            volume_size=_quantity("postgres.volumeSize", pg.get("volumeSize", "10Gi")),
            storage_class=pg.get("storageClass"),
            image=pg.get("image", "postgres:16-alpine"),
            app_user=_app_user("postgres.appUser", pg.get("appUser", "crowdsource_app")),
        )
    if not db.get("host"):
        raise ConfigError(
            "database.host",
            "required (or set postgres.enabled: true for a PostgreSQL inside the cluster)",
        )
    external_password = config.get_secret("databasePassword")
    if external_password is None:
        raise ConfigError(
            "databasePassword",
            "required: pulumi config set --secret crowdsource:databasePassword …",
        )
    sslmode = str(db.get("sslmode", "require"))
    if sslmode not in SSLMODES:
        raise ConfigError("database.sslmode", f"{sslmode!r} is not one of {', '.join(SSLMODES)}")
    ca_certificate, system_ca = _database_ca(db, sslmode)
    return (
        Database(
            host=str(db["host"]),
            password=external_password,
            name=str(db.get("name", "crowdsource")),
            user=str(db.get("user", "crowdsource")),
            port=whole_number("database.port", db.get("port", 5432), 1, 65535),
            sslmode=sslmode,
            cidrs=tuple(db.get("cidrs", ["0.0.0.0/0"])),
            ca_certificate=ca_certificate,
            system_ca=system_ca,
            app_user=_app_user("database.appUser", db.get("appUser", "crowdsource_app")),
        ),
        None,
    )


def _database_ca(db: dict[str, Any], sslmode: str) -> tuple[str | None, bool]:
    """The CA the pods check the server's certificate with: `caCertificate` (PEM text), or
    `sslrootcert: system` (the image's CA store). verify-ca and verify-full need one."""
    pem = db.get("caCertificate")
    rootcert = db.get("sslrootcert")
    if rootcert is not None and rootcert != "system":
        raise ConfigError(
            "database.sslrootcert",
            f"{rootcert!r}: only `system` (the image's CA store); give a CA as caCertificate",
        )
    if pem is not None and rootcert is not None:
        raise ConfigError("database.caCertificate", "give it or sslrootcert: system, not both")
    if pem is not None and "-----BEGIN CERTIFICATE-----" not in str(pem):
        raise ConfigError(
            "database.caCertificate", "expected PEM text (-----BEGIN CERTIFICATE-----)"
        )
    if rootcert == "system" and sslmode != "verify-full":
        raise ConfigError("database.sslrootcert", "`system` needs sslmode verify-full (libpq)")
    if sslmode in VERIFYING_SSLMODES and pem is None and rootcert is None:
        raise ConfigError(
            "database.caCertificate",
            f"sslmode {sslmode} checks the server's certificate: give the PEM of the CA that "
            "signed it (caCertificate), or sslrootcert: system for a public CA",
        )
    return (None if pem is None else str(pem)), rootcert == "system"


def _app_user(key: str, value: Any) -> str | None:
    """The app's least-privilege role; null: the pods connect as the owner `user`."""
    if value is None:
        return None
    try:
        return check_role_name(str(value))
    except ValueError as exc:
        raise ConfigError(key, str(exc)) from None


def read_app_args(config: pulumi.Config, stack: str, **overrides: Any) -> AppArgs:
    """All component inputs from stack config. Cloud programs pass what they built (database,
    storage, ingress, annotations) as `overrides`, which win over config."""
    image = config.get("image") or overrides.pop("image", None)
    if not image:
        raise ConfigError("image", "required: the app image, e.g. ghcr.io/org/crowdsource@sha256:…")
    namespace = config.get("namespace") or "crowdsource"
    if not _NAME.match(namespace):
        raise ConfigError("namespace", f"{namespace!r} is not a valid Kubernetes name")
    schedule = config.get("refreshSchedule") or "0 */4 * * *"
    fields = schedule.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ConfigError("refreshSchedule", f"{schedule!r} is not a 5-field cron schedule")
    values: dict[str, Any] = {
        "image": image,
        "namespace": namespace,
        "size": read_size(config, stack),
        "ingress": read_ingress(config),
        "storage": read_storage(config),
        "settings": string_map("settings", config.get_object("settings")),
        "service_account_annotations": string_map(
            "serviceAccountAnnotations", config.get_object("serviceAccountAnnotations")
        ),
        "refresh_schedule": schedule,
        "max_upload_mb": whole_number("maxUploadMb", config.get("maxUploadMb") or 5, 1, 100),
        "instance": stack,
        "monitoring": read_monitoring(config),
    }
    if "database" not in overrides and "postgres" not in overrides:
        values["database"], values["postgres"] = read_database(config)
    values["secret_key"] = config.get_secret("secretKey") or generated_secret("secret-key")
    # Keys for a self-hosted S3 (MinIO…). On AWS and GCP the pods use IRSA / Workload Identity.
    key_id = config.get_secret("storageAccessKeyId")
    key_secret = config.get_secret("storageSecretAccessKey")
    if (key_id is None) != (key_secret is None):
        raise ConfigError("storageAccessKeyId", "set both storage keys or neither")
    if key_id is not None and key_secret is not None:
        values["secret_env"] = {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": key_secret}
    values.update(overrides)
    login = values.get("database") or values.get("postgres")
    if login is not None and login.app_user is not None and "app_password" not in values:
        values["app_password"] = config.get_secret("databaseAppPassword") or generated_secret(
            "database-app-password"
        )
    try:
        return AppArgs(**values)
    except ValueError as exc:
        raise ConfigError("config", str(exc)) from None
