"""The `gcp` target: the whole environment with one `pulumi up`.

Order of things: a provider that labels everything → network → GKE Autopilot, Cloud SQL, the
buckets, Cloud Armor, the dashboard CDN, Artifact Registry and the app's identity (its Workload
Identity binding after the cluster) → a Kubernetes provider for the new cluster → the app
(infra/k8s) with GKE's ingress objects → log retention and Cloud Monitoring alerting. Each
deployable piece is a ComponentResource with a typed args class, under one GcpEnvironment.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from infra.gcp.armor import create_backend_policy, create_edge_policy
from infra.gcp.buckets import Buckets, BucketsArgs
from infra.gcp.cdn import DashboardCdn, DashboardCdnArgs
from infra.gcp.cluster import GkeCluster, GkeClusterArgs
from infra.gcp.database import (
    DATABASE_NAME,
    DATABASE_USER,
    SSLMODE,
    CloudSqlArgs,
    CloudSqlPostgres,
)
from infra.gcp.iam import AppIdentity, AppIdentityArgs, NodeIdentity, NodeIdentityArgs
from infra.gcp.ingress import AppEntry, AppEntryArgs, create_gke_objects
from infra.gcp.logs import retain_logs
from infra.gcp.monitoring import AlertingArgs, GcpAlerting
from infra.gcp.network import Network, NetworkArgs
from infra.gcp.registry import create_registry
from infra.gcp.settings import GcpSettings, read_settings
from infra.k8s.component import CrowdsourceApp
from infra.k8s.config import read_app_args
from infra.k8s.spec import Database, Storage

PROJECT_LABEL = "crowdsource"


def default_labels() -> dict[str, str]:
    """The labels every labelable resource of the stack carries."""
    return {"project": PROJECT_LABEL, "stack": pulumi.get_stack()}


class GcpEnvironment(pulumi.ComponentResource):
    """Parent of every Google Cloud resource of the stack. Its provider carries the default
    labels (project, stack), so every labelable resource gets them without repeating them."""

    def __init__(self, name: str, settings: GcpSettings) -> None:
        provider = gcp.Provider(
            "gcp",
            project=settings.project,
            region=settings.region,
            default_labels=default_labels(),
        )
        super().__init__(
            "crowdsource:gcp:Environment", name, None, pulumi.ResourceOptions(providers=[provider])
        )
        self.provider = provider
        self.child_opts = pulumi.ResourceOptions(parent=self)


def after(value: pulumi.Input[Any], *resources: pulumi.CustomResource) -> pulumi.Output[Any]:
    """`value`, once `resources` exist. Children of a component do not inherit its depends_on,
    so the app's settings carry these dependencies instead: the migration Job, which reads them,
    then waits for the database user, the bucket grants and the Workload Identity binding."""
    return pulumi.Output.all(value, *(r.id for r in resources)).apply(lambda parts: parts[0])


def deploy(config: pulumi.Config) -> CrowdsourceApp:
    """Builds the Google Cloud environment and the app on it; exports where everything is."""
    settings = read_settings(config)
    stack = pulumi.get_stack()
    name = f"crowdsource-{stack}"
    env = GcpEnvironment(name, settings)
    opts = env.child_opts

    network = Network(name, NetworkArgs(settings), opts)
    registry = create_registry(name, settings, opts)
    nodes = NodeIdentity(name, NodeIdentityArgs(settings, registry), opts).account
    gke = GkeCluster(name, GkeClusterArgs(settings, network, nodes), opts)
    cluster = gke.cluster
    sql = CloudSqlPostgres(name, CloudSqlArgs(settings, network, default_labels()), opts)
    buckets = Buckets(name, BucketsArgs(settings), opts)
    armor = create_backend_policy(name, settings, opts)
    edge = create_edge_policy(name, opts)
    cdn = DashboardCdn(name, DashboardCdnArgs(settings, buckets.dashboard, edge), opts)
    namespace = config.get("namespace") or "crowdsource"
    identity = AppIdentity(name, AppIdentityArgs(settings, namespace, buckets, cluster), opts)
    entry = AppEntry(name, AppEntryArgs(settings), opts)

    cluster_config = gke.kubeconfig
    provider = k8s.Provider(
        "gke",
        kubeconfig=cluster_config,
        # Delete objects with the cluster rather than one by one on `pulumi destroy`.
        delete_unreachable=True,
        opts=pulumi.ResourceOptions(depends_on=[cluster]),
    )
    k8s_opts = pulumi.ResourceOptions(providers=[provider])
    database = Database(
        host=after(sql.instance.private_ip_address, sql.database, sql.user),
        password=sql.password,
        name=DATABASE_NAME,
        user=DATABASE_USER,
        # The instance's own CA, shipped to the pods and named by sslrootcert (database.py
        # says why verify-ca rather than verify-full). The pods connect as the component's
        # least-privilege role (Database.app_user), which the migration Job makes.
        sslmode=SSLMODE,
        ca_certificate=sql.ca_certificate,
        cidrs=(network.database_cidr,),
    )
    extra_settings = {str(k): str(v) for k, v in (config.get_object("settings") or {}).items()}
    args = read_app_args(
        config,
        stack,
        database=database,
        postgres=None,
        storage=Storage(
            backend="gcs",
            bucket=after(buckets.recordings.name, *identity.grants),
            project=settings.project,
        ),
        ingress=entry.ingress,
        service_account_annotations={"iam.gke.io/gcp-service-account": identity.account.email},
        service_annotations=entry.service_annotations,
        settings={
            **extra_settings,
            "CDN_BASE_URL": cdn.url,
            "DASHBOARD_BUCKET_NAME": buckets.dashboard.name,
        },
    )
    app = CrowdsourceApp("crowdsource", args, k8s_opts)
    create_gke_objects(args.namespace, settings, armor, k8s_opts, depends_on=[app.namespace])
    retain_logs(name, settings, opts)
    GcpAlerting(
        f"{name}-alerts",
        AlertingArgs(
            prefix=name,
            project=settings.project,
            emails=settings.alert_emails,
            sql_instance=sql.instance,
            max_connections=settings.sql.max_connections,
            cluster_name=name,
            namespace=args.namespace,
        ),
        opts,
    )

    pulumi.export("appUrl", f"https://{settings.domain}/")
    pulumi.export("appAddress", entry.address.address)
    pulumi.export("cdnUrl", f"{cdn.url}/")
    pulumi.export("cdnAddress", cdn.address.address)
    pulumi.export("databaseConnectionName", sql.instance.connection_name)
    pulumi.export("registryUrl", registry.registry_uri)
    pulumi.export("clusterName", cluster.name)
    pulumi.export("kubeconfig", cluster_config)
    pulumi.export("recordingsBucket", buckets.recordings.name)
    pulumi.export("dashboardBucket", buckets.dashboard.name)
    pulumi.export("namespace", args.namespace)
    pulumi.export("migrationJob", app.migration_job_name)
    return app
