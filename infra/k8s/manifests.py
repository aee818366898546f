"""The Kubernetes objects of one Crowdsource installation, as plain manifests: here the
namespace, identity, settings and volume; workloads.py and network.py hold the rest.

Each function returns one object (apiVersion, kind, metadata, spec) whose values may be Pulumi
inputs; the component hands them to pulumi-kubernetes unchanged, and `crowdsource k8s render`
writes the same objects as YAML. Comments explain the choices a reviewer would question.
"""

from __future__ import annotations

from typing import Any

import pulumi

from infra.k8s.spec import APP_NAME, APP_PORT, MEDIA_DIR, TMP_DIR, AppArgs

Manifest = dict[str, Any]

CONFIG_NAME = f"{APP_NAME}-config"
SECRET_NAME = f"{APP_NAME}-secrets"
POSTGRES_NAME = f"{APP_NAME}-postgres"
MEDIA_CLAIM = f"{APP_NAME}-media"
APP_COMPONENTS = ("web", "migrate", "refresh")


def labels(args: AppArgs, component: str) -> dict[str, str]:
    """The recommended app.kubernetes.io labels; `component` tells web, migrate, refresh apart."""
    return {
        "app.kubernetes.io/name": APP_NAME,
        "app.kubernetes.io/instance": args.instance,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": APP_NAME,
    }


def selector(args: AppArgs, component: str) -> dict[str, str]:
    """The stable subset of labels used by selectors (which are immutable on a Deployment)."""
    return {
        "app.kubernetes.io/name": APP_NAME,
        "app.kubernetes.io/instance": args.instance,
        "app.kubernetes.io/component": component,
    }


def meta(args: AppArgs, name: pulumi.Input[str], component: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": args.namespace, "labels": labels(args, component), **extra}


def namespace(args: AppArgs) -> Manifest:
    """The namespace, enforcing the `restricted` Pod Security Standard: all our pods meet it."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": args.namespace,
            "labels": {
                "app.kubernetes.io/part-of": APP_NAME,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    }


def service_account(args: AppArgs) -> Manifest:
    """The pods' identity; cloud programs annotate it for IRSA or Workload Identity."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(args, APP_NAME, "web", annotations=dict(args.service_account_annotations)),
        # No pod talks to the Kubernetes API. IRSA and Workload Identity bring their own tokens.
        "automountServiceAccountToken": False,
    }


def settings_env(args: AppArgs) -> dict[str, pulumi.Input[str]]:
    """Plain settings for the ConfigMap. Secrets never go here (see secret_env)."""
    size = args.size
    env: dict[str, pulumi.Input[str]] = {
        "HOST": "0.0.0.0",
        "PORT": str(APP_PORT),
        "WEB_CONCURRENCY": str(size.workers),
        "THREADS": str(size.threads),
        "LOG_LEVEL": "INFO",
        "MAX_UPLOAD_MB": str(args.max_upload_mb),
        "HOME": TMP_DIR,
        "TMPDIR": TMP_DIR,
        "STORAGE_BACKEND": args.storage.backend,
    }
    if args.postgres is not None:
        env |= {
            "DB_HOST": POSTGRES_NAME,
            "DB_PORT": "5432",
            "DB_NAME": args.postgres.name,
            "DB_USER": args.postgres.user,
            "DB_SSLMODE": "disable",  # inside the cluster, on the pod network
        }
    elif args.database is not None:
        db = args.database
        env |= {
            "DB_HOST": db.host,
            "DB_PORT": str(db.port),
            "DB_NAME": db.name,
            "DB_USER": db.user,
            "DB_SSLMODE": db.sslmode,
        }
    storage = args.storage
    if storage.backend == "local":
        env["STORAGE_DIR"] = MEDIA_DIR
    else:
        env["BUCKET_NAME"] = storage.bucket or ""
    if storage.region is not None:
        env["AWS_REGION"] = storage.region
    if storage.endpoint_url is not None:
        env["S3_ENDPOINT_URL"] = storage.endpoint_url
    if storage.project is not None:
        env["GOOGLE_CLOUD_PROJECT"] = storage.project
    env.update(args.settings)
    return env


def secret_env(args: AppArgs) -> dict[str, pulumi.Input[str]]:
    """Secret settings: the database password, the cookie-signing key and any extras."""
    password = args.postgres.password if args.postgres else args.database.password  # type: ignore[union-attr]
    return {"DB_PASS": password, "SECRET_KEY": args.secret_key, **args.secret_env}


def config_map(args: AppArgs) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(args, CONFIG_NAME, "web"),
        "data": settings_env(args),
    }


def secret(args: AppArgs) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(args, SECRET_NAME, "web"),
        "type": "Opaque",
        "stringData": secret_env(args),
    }


def media_claim(args: AppArgs) -> Manifest:
    """The volume of the `local` storage backend, shared by the web pods and the refresh job."""
    storage = args.storage
    spec: dict[str, Any] = {
        "accessModes": [storage.access_mode],
        "resources": {"requests": {"storage": storage.volume_size}},
    }
    if storage.storage_class:
        spec["storageClassName"] = storage.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta(args, MEDIA_CLAIM, "storage"),
        "spec": spec,
    }
