"""An in-cluster PostgreSQL 16 (one pod, one volume) for k8s stacks without a managed database.

Good for dev and small installs; production belongs on RDS or Cloud SQL (backups, failover).
"""

from __future__ import annotations

from typing import Any

from infra.k8s.manifests import (
    POSTGRES_NAME,
    Manifest,
    labels,
    meta,
    owner_password_ref,
    selector,
)
from infra.k8s.spec import APP_NAME, AppArgs, InClusterPostgres

POSTGRES_UID = 70  # the postgres user of the official alpine image
DATA_MOUNT = "/var/lib/postgresql/data"


def _pg(args: AppArgs) -> InClusterPostgres:
    assert args.postgres is not None
    return args.postgres


def postgres_service(args: AppArgs) -> Manifest:
    """Headless: DB_HOST resolves straight to the one pod, with a stable name."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(args, POSTGRES_NAME, "postgres"),
        "spec": {
            "clusterIP": "None",
            "selector": selector(args, "postgres"),
            "ports": [{"name": "postgres", "port": 5432, "targetPort": "postgres"}],
        },
    }


def postgres_stateful_set(args: AppArgs) -> Manifest:
    pg = _pg(args)
    probe: dict[str, Any] = {
        "exec": {"command": ["pg_isready", "-U", pg.user, "-d", pg.name, "-h", "127.0.0.1"]},
        "periodSeconds": 10,
        "timeoutSeconds": 5,
    }
    claim_spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": pg.volume_size}},
    }
    if pg.storage_class:
        claim_spec["storageClassName"] = pg.storage_class
    container = {
        "name": "postgres",
        "image": pg.image,
        "ports": [{"name": "postgres", "containerPort": 5432, "protocol": "TCP"}],
        "env": [
            {"name": "POSTGRES_USER", "value": pg.user},
            {"name": "POSTGRES_DB", "value": pg.name},
            {
                "name": "POSTGRES_PASSWORD",
                "valueFrom": owner_password_ref(args),
            },
            # A subdirectory: the volume's root holds lost+found on many provisioners.
            {"name": "PGDATA", "value": f"{DATA_MOUNT}/pgdata"},
        ],
        "resources": {
            "requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"memory": "1Gi"},
        },
        "readinessProbe": probe,
        "livenessProbe": probe | {"initialDelaySeconds": 30, "failureThreshold": 6},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "data", "mountPath": DATA_MOUNT},
            {"name": "run", "mountPath": "/var/run/postgresql"},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta(args, POSTGRES_NAME, "postgres"),
        "spec": {
            "serviceName": POSTGRES_NAME,
            "replicas": 1,
            "selector": {"matchLabels": selector(args, "postgres")},
            "template": {
                "metadata": {"labels": labels(args, "postgres")},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": POSTGRES_UID,
                        "runAsGroup": POSTGRES_UID,
                        "fsGroup": POSTGRES_UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "terminationGracePeriodSeconds": 60,
                    "containers": [container],
                    "volumes": [
                        {"name": "run", "emptyDir": {}},
                        {"name": "tmp", "emptyDir": {}},
                    ],
                },
            },
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": claim_spec}],
        },
    }


def postgres_network_policy(args: AppArgs) -> Manifest:
    """Only the app's pods may connect; the database itself makes no outbound connections."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(args, POSTGRES_NAME, "postgres"),
        "spec": {
            "podSelector": {"matchLabels": selector(args, "postgres")},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        {
                            "podSelector": {
                                "matchLabels": {
                                    "app.kubernetes.io/name": APP_NAME,
                                    "app.kubernetes.io/instance": args.instance,
                                }
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": 5432}],
                }
            ],
            "egress": [],
        },
    }
