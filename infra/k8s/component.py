"""`CrowdsourceApp`: the whole app on a Kubernetes cluster, as one Pulumi component.

Used three ways: alone on an existing cluster (target `k8s`), by infra/aws on EKS and by infra/gcp
on GKE, each handing in its own `pulumi_kubernetes.Provider` through `opts`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.k8s import manifests, network, observability, postgres, workloads
from infra.k8s.manifests import Manifest
from infra.k8s.spec import APP_NAME, AppArgs

# kind → resource class. Fields other than apiVersion/kind/metadata keep Kubernetes' camelCase
# inside (the wire format), only the top-level keyword is Python's.
_RESOURCES: dict[str, Callable[..., pulumi.CustomResource]] = {
    "Namespace": k8s.core.v1.Namespace,
    "ServiceAccount": k8s.core.v1.ServiceAccount,
    "ConfigMap": k8s.core.v1.ConfigMap,
    "Secret": k8s.core.v1.Secret,
    "PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
    "Service": k8s.core.v1.Service,
    "Deployment": k8s.apps.v1.Deployment,
    "StatefulSet": k8s.apps.v1.StatefulSet,
    "Job": k8s.batch.v1.Job,
    "CronJob": k8s.batch.v1.CronJob,
    "Ingress": k8s.networking.v1.Ingress,
    "NetworkPolicy": k8s.networking.v1.NetworkPolicy,
    "HorizontalPodAutoscaler": k8s.autoscaling.v2.HorizontalPodAutoscaler,
    "PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
}
# Kinds from CRDs (the Prometheus Operator's, and any other kind not above, such as EKS's
# SecurityGroupPolicy): registered through the CRD's own API group.
_CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule"}
_KEYWORDS = {
    "spec": "spec",
    "data": "data",
    "stringData": "string_data",
    "type": "type",
    "automountServiceAccountToken": "automount_service_account_token",
}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:10]


def _login_digest(args: AppArgs) -> pulumi.Output[str]:
    """A fingerprint of the app role's password ("" without one), keyed with SECRET_KEY so the
    Job's name reveals nothing about the password. Not secret itself: it names the Job."""
    if args.app_password is None:
        return pulumi.Output.from_input("")
    keyed = pulumi.Output.all(args.secret_key, args.app_password).apply(
        lambda parts: hmac.new(parts[0].encode(), parts[1].encode(), "sha256").hexdigest()[:16]
    )
    return pulumi.Output.unsecret(keyed)


class CrowdsourceApp(pulumi.ComponentResource):
    """Namespace, settings, secrets, the migration Job, the web Deployment with its Service,
    Ingress, HPA, PDB and NetworkPolicy, the dashboard-refresh CronJob and, optionally, an
    in-cluster PostgreSQL, a ServiceMonitor, alert rules and a Grafana dashboard."""

    def __init__(
        self, name: str, args: AppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crowdsource:k8s:App", name, None, opts)
        self._args = args
        self._name = name

        self.namespace = self._create("namespace", manifests.namespace(args), [])
        base = [self.namespace]
        self.service_account = self._create(
            "service-account", manifests.service_account(args), base
        )
        config = manifests.config_map(args)
        self.config_map = self._create("config", config, base)
        self.secret = self._create(
            "secrets",
            manifests.secret(args),
            base,
            # The whole object is secret: `pulumi stack export` and the diff show no value.
            additional_secret_outputs=["stringData", "data"],
        )
        settled = [*base, self.service_account, self.config_map, self.secret]
        owner = manifests.owner_secret(args)
        if owner is not None:
            settled.append(
                self._create(
                    "db-owner", owner, base, additional_secret_outputs=["stringData", "data"]
                )
            )
        ca = manifests.database_ca(args)
        if ca is not None:
            settled.append(self._create("db-ca", ca, base))
        if args.storage.backend == "local":
            settled.append(self._create("media", manifests.media_claim(args), base))
        for prerequisite in args.pod_prerequisites:
            manifest = dict(prerequisite)
            metadata = {"namespace": args.namespace, **manifest["metadata"]}
            manifest["metadata"] = metadata
            suffix = f"{manifest['kind'].lower()}-{metadata['name']}"
            settled.append(self._create(suffix, manifest, base))
        self.postgres: pulumi.CustomResource | None = None
        if args.postgres is not None:
            self._create("postgres-service", postgres.postgres_service(args), base)
            self._create("postgres-policy", postgres.postgres_network_policy(args), base)
            self.postgres = self._create("postgres", postgres.postgres_stateful_set(args), settled)
            settled.append(self.postgres)

        settings = pulumi.Output.json_dumps(config["data"]).apply(lambda text: _digest(text))
        # A new app-role password must be set by the Job and then reach the web pods: it counts
        # as a settings change (the Job runs again, the pods roll).
        checksum = pulumi.Output.all(settings, _login_digest(args)).apply(
            lambda parts: _digest(*parts)
        )
        job_name = pulumi.Output.all(args.image, checksum).apply(
            lambda parts: f"{APP_NAME}-migrate-{_digest(*parts)}"
        )
        # A new image or new settings make a new Job name, so `pulumi up` migrates again; the
        # provider waits for the Job to complete before anything that depends on it rolls out.
        self.migration_job = self._create(
            "migrate",
            workloads.migration_job(args, job_name),
            settled,
            replace_on_changes=["spec"],
            delete_before_replace=True,
        )
        migrated = [*settled, self.migration_job]
        self.deployment = self._create("web", workloads.deployment(args, checksum), migrated)
        self.service = self._create("service", network.service(args), base)
        self.ingress = self._create("ingress", network.ingress(args), [*base, self.service])
        self.autoscaler = self._create(
            "autoscaler", workloads.autoscaler(args), [*base, self.deployment]
        )
        self.disruption_budget = self._create(
            "disruption-budget", workloads.disruption_budget(args), base
        )
        self.network_policy = self._create("network-policy", network.network_policy(args), base)
        self.refresh_job = self._create("refresh", workloads.refresh_cron_job(args), migrated)
        self._create_monitoring(args, base)

        self.migration_job_name = job_name
        self.register_outputs(
            {
                "namespace": args.namespace,
                "deployment": APP_NAME,
                "migration_job": job_name,
                "ingress_host": args.ingress.host or "",
            }
        )

    def _create_monitoring(self, args: AppArgs, base: Sequence[pulumi.Resource]) -> None:
        """The optional Prometheus Operator objects and the Grafana dashboard ConfigMap."""
        monitoring = args.monitoring
        if monitoring.service_monitor:
            self._create(
                "service-monitor", observability.service_monitor(args), [*base, self.service]
            )
        if monitoring.prometheus_rule:
            self._create("alert-rules", observability.prometheus_rule(args), base)
        if monitoring.grafana_dashboard:
            self._create("grafana-dashboard", observability.dashboard_config_map(args), base)

    def _create(
        self,
        suffix: str,
        manifest: Manifest,
        depends_on: Sequence[pulumi.Resource],
        **options: Any,
    ) -> pulumi.CustomResource:
        """Registers one manifest as a pulumi-kubernetes resource, a child of this component."""
        opts = pulumi.ResourceOptions(parent=self, depends_on=list(depends_on), **options)
        if manifest["kind"] in _CUSTOM_KINDS or manifest["kind"] not in _RESOURCES:
            return k8s.apiextensions.CustomResource(
                f"{self._name}-{suffix}",
                api_version=manifest["apiVersion"],
                kind=manifest["kind"],
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=opts,
            )
        resource_class = _RESOURCES[manifest["kind"]]
        kwargs = {
            _KEYWORDS[key]: value
            for key, value in manifest.items()
            if key not in ("apiVersion", "kind", "metadata")
        }
        return resource_class(
            f"{self._name}-{suffix}", metadata=manifest["metadata"], opts=opts, **kwargs
        )
