"""The app's workloads: the web Deployment with its autoscaler and disruption budget, the
migration Job and the dashboard-refresh CronJob. All run the same pod (pod_spec)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from infra.k8s.manifests import (
    CONFIG_NAME,
    DB_CA_DIR,
    DB_CA_NAME,
    MEDIA_CLAIM,
    SECRET_NAME,
    Manifest,
    database_ca,
    labels,
    login,
    meta,
    owner_env,
    selector,
)
from infra.k8s.observability import scrape_annotations
from infra.k8s.spec import APP_NAME, APP_PORT, APP_UID, MEDIA_DIR, TMP_DIR, AppArgs


def _container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def _pod_security(uid: int) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _resources(cpu: str, memory: str) -> dict[str, Any]:
    # Requests equal limits: the HPA's percentages mean what they say, and pods are Guaranteed.
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}}


def pod_spec(
    args: AppArgs,
    command: list[str],
    *,
    cpu: str,
    memory: str,
    restart_policy: str = "Always",
    extra: Mapping[str, Any] | None = None,
    env: list[dict[str, Any]] | None = None,
    before: list[str] | None = None,
) -> dict[str, Any]:
    """The pod every app process runs in (web, migrate, refresh): same image, settings and
    hardening; `extra` adds container fields (ports, probes, lifecycle), `env` variables that
    win over the shared settings (the owner's login), `before` a command run to completion
    first in an init container of the same kind."""
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": TMP_DIR}]
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    if args.storage.backend == "local":
        mounts.append({"name": "media", "mountPath": MEDIA_DIR})
        volumes.append({"name": "media", "persistentVolumeClaim": {"claimName": MEDIA_CLAIM}})
    if database_ca(args) is not None:
        # DB_SSLROOTCERT names DB_CA_FILE: libpq checks the server's certificate against it.
        mounts.append({"name": "db-ca", "mountPath": DB_CA_DIR, "readOnly": True})
        volumes.append({"name": "db-ca", "configMap": {"name": DB_CA_NAME, "defaultMode": 0o444}})

    def app_container(name: str, run: list[str], fields: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": name,
            "image": args.image,
            "imagePullPolicy": "IfNotPresent",
            "command": run,
            "envFrom": [
                {"configMapRef": {"name": CONFIG_NAME}},
                {"secretRef": {"name": SECRET_NAME}},
            ],
            **({"env": env} if env else {}),
            "resources": _resources(cpu, memory),
            "securityContext": _container_security(),
            "volumeMounts": mounts,
            **fields,
        }

    pod: dict[str, Any] = {
        "serviceAccountName": APP_NAME,
        "automountServiceAccountToken": False,
        "securityContext": _pod_security(APP_UID),
        "restartPolicy": restart_policy,
        "containers": [app_container(APP_NAME, command, extra or {})],
        "volumes": volumes,
    }
    if before is not None:
        pod["initContainers"] = [app_container(f"{APP_NAME}-{before[1]}", before, {})]
    return pod


def _probe(path: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def deployment(args: AppArgs, config_checksum: pulumi.Input[str]) -> Manifest:
    """The web pods: gunicorn behind the Service. Replicas belong to the HPA, so none are set."""
    size = args.size
    web = selector(args, "web")
    container_extra = {
        "ports": [{"name": "http", "containerPort": APP_PORT, "protocol": "TCP"}],
        # Liveness asks only "is the process serving?"; readiness also checks the database and
        # the bucket, so a pod with a dead dependency leaves the Service without being killed.
        "startupProbe": _probe("/healthz", 2, 30),
        "livenessProbe": _probe("/healthz", 10, 3),
        "readinessProbe": _probe("/readyz", 5, 2),
        # Lets endpoints drop the pod before gunicorn stops accepting.
        "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
    }
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": web},
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]
    pod = pod_spec(
        args,
        ["gunicorn", "--config", "python:app.gunicorn_conf", "app.wsgi:app"],
        cpu=size.cpu,
        memory=size.memory,
        extra=container_extra,
    )
    pod |= {"terminationGracePeriodSeconds": 30, "topologySpreadConstraints": spread}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(args, APP_NAME, "web"),
        "spec": {
            "selector": {"matchLabels": web},
            "revisionHistoryLimit": 5,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {
                "metadata": {
                    "labels": labels(args, "web"),
                    # A settings change rolls the pods (env is read once at start-up).
                    "annotations": {
                        "crowdsource.dev/config-checksum": config_checksum,
                        **scrape_annotations(args),
                    },
                },
                "spec": pod,
            },
        },
    }


def migration_job(args: AppArgs, name: pulumi.Input[str]) -> Manifest:
    """`crowdsource migrate up` once per image and settings (the name carries their hash).
    Safe to repeat: the runner holds an advisory lock and skips applied steps. Connects as the
    owner; with an app role, then makes or updates that role and its grants (an init container
    migrates, the container grants: each step is one command whose log is its own)."""
    app_user = login(args).app_user
    migrate = ["crowdsource", "migrate", "up"]
    if app_user is None:
        pod = pod_spec(args, migrate, cpu="250m", memory="256Mi", restart_policy="Never")
    else:
        pod = pod_spec(
            args,
            ["crowdsource", "db", "grant-app-role", "--role", app_user],
            cpu="250m",
            memory="256Mi",
            restart_policy="Never",
            env=owner_env(args, with_app_password=True),
            before=migrate,
        )
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(args, name, "migrate"),
        "spec": {
            "backoffLimit": 3,
            "activeDeadlineSeconds": 900,
            "template": {
                "metadata": {"labels": labels(args, "migrate")},
                "spec": pod,
            },
        },
    }


def refresh_cron_job(args: AppArgs) -> Manifest:
    """The 4-hourly dashboard refresh. Forbid: a slow refresh is never doubled up.

    Connects as the owner: REFRESH MATERIALIZED VIEW needs the views' owner. A role of its own
    owning the views would need every migration that (re)creates a view to hand it over, and
    one forgotten ALTER ... OWNER breaks the refresh; this pod serves no traffic (no port, no
    Service), so the owner's password stays out of everything the Internet reaches."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta(args, f"{APP_NAME}-refresh", "refresh"),
        "spec": {
            "schedule": args.refresh_schedule,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": labels(args, "refresh")},
                "spec": {
                    "backoffLimit": 2,
                    "activeDeadlineSeconds": 3600,
                    "template": {
                        "metadata": {"labels": labels(args, "refresh")},
                        "spec": pod_spec(
                            args,
                            ["crowdsource", "refresh", "--wait", "60"],
                            cpu="500m",
                            memory="512Mi",
                            restart_policy="Never",
                            env=owner_env(args, with_app_password=False),
                        ),
                    },
                },
            },
        },
    }


def autoscaler(args: AppArgs) -> Manifest:
    size = args.size
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(args, APP_NAME, "web"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": APP_NAME},
            "minReplicas": size.min_replicas,
            "maxReplicas": size.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": size.target_cpu_percent,
                        },
                    },
                }
            ],
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 0},
                # Remove pods five minutes after the load is gone, as the original platform did.
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
                },
            },
        },
    }


def disruption_budget(args: AppArgs) -> Manifest:
    # maxUnavailable rather than minAvailable: with one replica (dev), minAvailable 1 would
    # block every node drain forever.
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(args, APP_NAME, "web"),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(args, "web")}},
    }
