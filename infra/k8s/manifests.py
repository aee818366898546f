"""The Kubernetes objects of one Crowdsource installation, as plain manifests: here the
namespace, identity, settings and volume; workloads.py and network.py hold the rest.

Each function returns one object (apiVersion, kind, metadata, spec) whose values may be Pulumi
inputs; the component hands them to pulumi-kubernetes unchanged, and `crowdsource k8s render`
writes the same objects as YAML. Comments explain the choices a reviewer would question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from infra.k8s.spec import APP_NAME, APP_PORT, MEDIA_DIR, TMP_DIR, AppArgs

Manifest = dict[str, Any]

CONFIG_NAME = f"{APP_NAME}-config"
SECRET_NAME = f"{APP_NAME}-secrets"
# The database owner's login (and the app role's password, which the migration Job sets):
# only in the migration Job's and the refresh CronJob's pods, never in the web pods.
OWNER_SECRET_NAME = f"{APP_NAME}-db-owner"
# The CA that signed the database server's certificate, mounted read-only into every app pod.
DB_CA_NAME = f"{APP_NAME}-db-ca"
DB_CA_DIR = "/etc/crowdsource/db-ca"
DB_CA_KEY = "ca.crt"
DB_CA_FILE = f"{DB_CA_DIR}/{DB_CA_KEY}"
# The image's CA store (Debian's ca-certificates, in the python slim base).
SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"
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


@dataclass(frozen=True)
class Login:
    """Who connects to the database: the owner (migrations, materialized-view refresh) and
    the app's least-privilege role (the web pods), or the owner alone when app_user is None."""

    owner: pulumi.Input[str]
    owner_password: pulumi.Input[str]
    app_user: str | None
    app_password: pulumi.Input[str] | None

    @property
    def web_user(self) -> pulumi.Input[str]:
        return self.app_user or self.owner

    @property
    def web_password(self) -> pulumi.Input[str]:
        return self.owner_password if self.app_password is None else self.app_password


def login(args: AppArgs) -> Login:
    """The database logins of this installation (external or in-cluster PostgreSQL)."""
    db = args.postgres or args.database
    assert db is not None  # AppArgs checks one of them is set
    app_user = db.app_user
    return Login(db.user, db.password, app_user, args.app_password if app_user else None)


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
            "DB_USER": login(args).web_user,
            "DB_SSLMODE": "disable",  # inside the cluster, on the pod network
        }
    elif args.database is not None:
        db = args.database
        env |= {
            "DB_HOST": db.host,
            "DB_PORT": str(db.port),
            "DB_NAME": db.name,
            "DB_USER": login(args).web_user,
            "DB_SSLMODE": db.sslmode,
        }
        if db.ca_certificate is not None:
            env["DB_SSLROOTCERT"] = DB_CA_FILE
        elif db.system_ca:
            env["DB_SSLROOTCERT"] = "system"
            # psycopg's binary wheel carries its own OpenSSL, whose default CA file
            # (/usr/lib/psycopg-openssl/cert.pem) is not in the image: name Debian's bundle.
            env["SSL_CERT_FILE"] = SYSTEM_CA_FILE
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
    """Secret settings of every app pod: the web login's password (the app role's, when there
    is one), the cookie-signing key and any extras."""
    return {"DB_PASS": login(args).web_password, "SECRET_KEY": args.secret_key, **args.secret_env}


def owner_secret(args: AppArgs) -> Manifest | None:
    """The owner's password, and the app role's for the Job that sets it; None when the pods
    all connect as the owner (no app role)."""
    who = login(args)
    if who.app_user is None:
        return None
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(args, OWNER_SECRET_NAME, "migrate"),
        "type": "Opaque",
        "stringData": {"DB_PASS": who.owner_password, "DB_APP_PASS": who.app_password},
    }


def owner_env(args: AppArgs, *, with_app_password: bool) -> list[dict[str, Any]]:
    """Container env that makes a pod connect as the owner ([] without an app role): `env`
    wins over the ConfigMap's and Secret's DB_USER and DB_PASS (envFrom)."""
    who = login(args)
    if who.app_user is None:
        return []
    env: list[dict[str, Any]] = [
        {"name": "DB_USER", "value": who.owner},
        _secret_ref("DB_PASS", OWNER_SECRET_NAME, "DB_PASS"),
    ]
    if with_app_password:
        env.append(_secret_ref("DB_APP_PASS", OWNER_SECRET_NAME, "DB_APP_PASS"))
    return env


def owner_password_ref(args: AppArgs) -> dict[str, Any]:
    """Where the owner's password is (for the in-cluster PostgreSQL's POSTGRES_PASSWORD)."""
    if login(args).app_user is None:
        return {"secretKeyRef": {"name": SECRET_NAME, "key": "DB_PASS"}}
    return {"secretKeyRef": {"name": OWNER_SECRET_NAME, "key": "DB_PASS"}}


def _secret_ref(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def database_ca(args: AppArgs) -> Manifest | None:
    """The database server's CA (PEM) as a ConfigMap, when one is given: a CA certificate is
    public, and the pods mount it at DB_CA_FILE (DB_SSLROOTCERT names it)."""
    if args.database is None or args.database.ca_certificate is None:
        return None
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(args, DB_CA_NAME, "web"),
        "data": {DB_CA_KEY: args.database.ca_certificate},
    }


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
