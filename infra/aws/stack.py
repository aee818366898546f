"""The `aws` target: the whole environment with one `pulumi up`.

Order of construction (Pulumi works out the real order from the data flow; this is the reading
order): network → EKS (Fargate, OIDC, CoreDNS) → buckets, WAF, CloudFront → RDS → ECR → the
app's IRSA role → the Kubernetes provider for the new cluster → logging, metrics-server and the
load balancer controller → the app (infra/k8s) wired to all of it. Every AWS resource goes
through one explicit provider that tags it with the project and the stack.
"""

from __future__ import annotations

from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.aws.addons import ClusterAddons, ClusterAddonsArgs
from infra.aws.alarms import Alarms, AlarmsArgs
from infra.aws.buckets import PrivateBucket
from infra.aws.cdn import DashboardCdn, DashboardCdnArgs
from infra.aws.cluster import Cluster, ClusterArgs
from infra.aws.database import RdsPostgres, RdsPostgresArgs, ca_bundle
from infra.aws.iam import AppIdentity, AppIdentityArgs
from infra.aws.logs import Logs, LogsArgs
from infra.aws.network import Network
from infra.aws.pod_security import AppSecurityGroup, AppSecurityGroupArgs, policy_manifest
from infra.aws.registry import ImageRegistry, ImageRegistryArgs
from infra.aws.settings import AwsSettings, read_settings
from infra.aws.waf import WebAcls, WebAclsArgs
from infra.config_values import string_map
from infra.k8s import CrowdsourceApp, Database, Ingress, Storage
from infra.k8s.config import read_app_args
from infra.k8s.spec import APP_NAME

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def default_tags(stack: str) -> dict[str, str]:
    """Tags on every AWS resource (the provider adds them), for cost reports and clean-up."""
    return {"project": "crowdsource", "stack": stack, "managed-by": "pulumi"}


def load_balancer_name(settings: AwsSettings) -> str:
    """The ALB's fixed name (at most 32 characters), so that alarms can find it."""
    return settings.cluster_name[:32].rstrip("-")


def alb_annotations(
    settings: AwsSettings,
    web_acl_arn: pulumi.Input[str],
    log_attributes: list[pulumi.Input[str]],
) -> dict[str, pulumi.Input[str]]:
    """What the AWS Load Balancer Controller needs on the app's Ingress. Fargate pods have no
    node port, so the ALB targets pod IPs directly (target-type ip). `log_attributes` switch
    the access logs on (Logs.alb_attributes)."""
    attributes = pulumi.Output.all(
        "idle_timeout.timeout_seconds=60",
        "routing.http.drop_invalid_header_fields.enabled=true",
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled=true",
        *log_attributes,
    ).apply(",".join)
    tags = ",".join(f"{k}={v}" for k, v in default_tags(settings.stack).items())
    annotations: dict[str, pulumi.Input[str]] = {
        "alb.ingress.kubernetes.io/load-balancer-name": load_balancer_name(settings),
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/healthcheck-path": "/readyz",
        "alb.ingress.kubernetes.io/success-codes": "200",
        "alb.ingress.kubernetes.io/load-balancer-attributes": attributes,
        "alb.ingress.kubernetes.io/wafv2-acl-arn": web_acl_arn,
        # The controller creates the ALB, so the provider's default tags do not reach it.
        "alb.ingress.kubernetes.io/tags": tags,
    }
    if settings.certificate_arn:
        annotations |= {
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
            "alb.ingress.kubernetes.io/ssl-redirect": "443",
            "alb.ingress.kubernetes.io/certificate-arn": settings.certificate_arn,
            "alb.ingress.kubernetes.io/ssl-policy": TLS_POLICY,
        }
    else:  # dev without a domain: plain HTTP on the ALB's own name
        annotations["alb.ingress.kubernetes.io/listen-ports"] = '[{"HTTP": 80}]'
    return annotations


def load_balancer_hostname(ingress: k8s.networking.v1.Ingress) -> pulumi.Output[str]:
    """The ALB's DNS name, from the Ingress status the controller fills in (pulumi-kubernetes
    waits for it before it reports the Ingress ready)."""

    def hostname(status: Any) -> str:
        balancer = getattr(status, "load_balancer", None)
        entries = getattr(balancer, "ingress", None) or []
        return str(getattr(entries[0], "hostname", None) or "") if entries else ""

    return ingress.status.apply(hostname)


def deploy(config: pulumi.Config) -> CrowdsourceApp:
    """Builds the environment and the app; exports where to find them."""
    stack = pulumi.get_stack()
    settings = read_settings(config, stack)
    namespace = config.get("namespace") or "crowdsource"

    provider = aws.Provider(
        "aws", region=settings.region, default_tags={"tags": default_tags(stack)}
    )
    # Every AWS resource is a component's child: the component hands the provider down.
    in_aws = pulumi.ResourceOptions(providers={"aws": provider})
    network = Network("network", settings, in_aws)
    cluster = Cluster("eks", ClusterArgs(settings, network, namespace), in_aws)

    protected = settings.rds.deletion_protection
    # Recordings are the dataset: a protected stack keeps the bucket if it is not empty.
    recordings = PrivateBucket(
        "recordings", versioned=True, force_destroy=not protected, opts=in_aws
    )
    recordings.set_policy()
    # The dashboard is regenerated every refresh: nothing in it is worth keeping.
    dashboard = PrivateBucket("dashboard", versioned=False, force_destroy=True, opts=in_aws)

    acls = WebAcls("waf", WebAclsArgs(settings.waf_rate_limit, settings.cluster_name), in_aws)
    alb_acl, cdn_acl = acls.alb, acls.cdn
    cdn = DashboardCdn("dashboard-cdn", DashboardCdnArgs(settings, dashboard, cdn_acl.arn), in_aws)
    dashboard.set_policy([cdn.bucket_read_statement(dashboard)])

    app_pods = AppSecurityGroup(
        "app-pods", AppSecurityGroupArgs(network.vpc.id, settings.cluster_name), in_aws
    )
    database = RdsPostgres("db", RdsPostgresArgs(settings, network, app_pods.id), in_aws)
    ecr = ImageRegistry(
        "ecr", ImageRegistryArgs(settings.cluster_name, force_delete=not protected), in_aws
    ).repository
    app_role = AppIdentity(
        "app",
        AppIdentityArgs(
            oidc_provider=cluster.oidc_provider,
            namespace=namespace,
            service_account=APP_NAME,
            recordings_arn=recordings.bucket.arn,
            dashboard_arn=dashboard.bucket.arn,
        ),
        in_aws,
    )

    # The cluster's API answers only once the control plane exists, and pods run only once
    # their Fargate profiles and CoreDNS do.
    logs = Logs(
        "logs",
        LogsArgs(
            name_prefix=settings.cluster_name,
            retention_days=settings.log_retention_days,
            access_log_retention_days=settings.access_log_retention_days,
            force_destroy=not protected,
            vpc_id=network.vpc.id,
            alb_web_acl_arn=alb_acl.arn,
            cdn_web_acl_arn=cdn_acl.arn,
        ),
        in_aws,
    )

    kubernetes = k8s.Provider(
        "eks",
        kubeconfig=cluster.kubeconfig,
        opts=pulumi.ResourceOptions(depends_on=[*cluster.fargate_profiles, cluster.coredns]),
    )
    addons = ClusterAddons(
        "addons",
        ClusterAddonsArgs(cluster, network.vpc.id),
        pulumi.ResourceOptions(providers={"aws": provider, "kubernetes": kubernetes}),
    )

    cdn_url = pulumi.Output.concat("https://", cdn.domain_name)
    args = read_app_args(
        config,
        stack,
        database=Database(
            host=database.address,
            password=database.password,
            # rds.force_ssl refuses plain connections; verify-full also checks that the server
            # is the instance named in DB_HOST, signed by a CA from AWS's RDS bundle.
            sslmode="verify-full",
            ca_certificate=ca_bundle(),
            cidrs=(network.cidr,),
        ),
        storage=Storage(backend="s3", bucket=recordings.bucket.bucket, region=settings.region),
        ingress=Ingress(
            class_name="alb",
            host=settings.domain,
            annotations=alb_annotations(settings, alb_acl.arn, logs.alb_attributes()),
            # The ALB connects from its addresses in the public subnets. (Fargate does not
            # enforce NetworkPolicies today; the policy documents intent and holds elsewhere.)
            sources=[{"ipBlock": {"cidr": network.cidr}}],
        ),
        service_account_annotations={
            **string_map(
                "serviceAccountAnnotations", config.get_object("serviceAccountAnnotations")
            ),
            "eks.amazonaws.com/role-arn": app_role.arn,
        },
        settings={
            **string_map("settings", config.get_object("settings")),
            "CDN_BASE_URL": cdn_url,
            "DASHBOARD_BUCKET_NAME": dashboard.bucket.bucket,
        },
        # The app's pods carry its security group (the one the database admits) and the
        # cluster's; the policy that gives them exists before the first of them.
        pod_prerequisites=[policy_manifest([app_pods.id, cluster.security_group_id])],
    )
    app = CrowdsourceApp(
        "crowdsource",
        args,
        pulumi.ResourceOptions(
            providers={"kubernetes": kubernetes},
            # The controller must run before the Ingress, and ELB checks that it may write to
            # the log bucket when the ALB's attributes are set.
            depends_on=[addons, logs.alb_bucket_policy],
        ),
    )

    # The controller made the ALB (named by the Ingress): its CloudWatch dimension is the ARN's
    # suffix, looked up once the Ingress is ready (a preview leaves it unknown).
    alb = aws.lb.get_load_balancer_output(
        name=load_balancer_name(settings),
        opts=pulumi.InvokeOutputOptions(provider=provider, depends_on=[app.ingress]),
    )
    alarms = Alarms(
        "alarms",
        AlarmsArgs(
            name_prefix=settings.cluster_name,
            emails=settings.alert_emails,
            load_balancer=alb.arn_suffix,
            db_instance_id=database.instance.identifier,
            db_allocated_storage_gb=database.allocated_storage_gb,
            db_max_connections=database.max_connections,
            pod_log_group=cluster.pod_log_group.name,
        ),
        in_aws,
    )

    if settings.domain:
        url: pulumi.Output[str] = pulumi.Output.from_input(f"https://{settings.domain}/")
    else:
        hostname = load_balancer_hostname(cast(k8s.networking.v1.Ingress, app.ingress))
        url = hostname.apply(lambda host: f"http://{host}/" if host else "")
    # The validate page plays recordings from presigned S3 URLs: only the app's origin may
    # read them cross-origin.
    recordings.allow_reads_from(url.apply(lambda u: u.rstrip("/")))
    pulumi.export("url", url)
    pulumi.export("cdnUrl", cdn_url)
    pulumi.export("databaseEndpoint", database.instance.endpoint)
    pulumi.export("ecrRepositoryUrl", ecr.repository_url)
    pulumi.export("clusterName", cluster.cluster.name)
    pulumi.export("region", settings.region)
    pulumi.export("kubeconfig", pulumi.Output.secret(cluster.kubeconfig))
    pulumi.export("namespace", args.namespace)
    pulumi.export("migrationJob", app.migration_job_name)
    pulumi.export("alertTopicArn", alarms.topic.arn)
    pulumi.export("albLogBucket", logs.alb_bucket.bucket.bucket)
    return app
