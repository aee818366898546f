"""The AWS stack's own config keys (`crowdsource:network`, `cluster`, `rds`, `cdn`, `waf`,
`domain`, `certificateArn`, `logRetentionDays`, `accessLogRetentionDays`, `alerts`, and the
standard `aws:region`), read and checked
in one place. A wrong key or value stops the program with one line naming it, as for the
Kubernetes keys (infra/k8s/config.py); every key is listed in docs/deploy.md."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

import pulumi

from infra.config_values import (
    ConfigError,
    config_map,
    operator_cidrs,
    true_or_false,
    whole_number,
)

_NETWORK_KEYS = {"cidr", "natPerAz", "zones"}
_CLUSTER_KEYS = {
    "version", "publicEndpoint", "privateEndpoint", "publicAccessCidrs", "deletionProtection",
    "supportType",
}  # fmt: skip
_RDS_KEYS = {
    "instanceClass", "allocatedStorageGb", "maxAllocatedStorageGb", "multiAz",
    "deletionProtection", "backupRetentionDays", "performanceInsightsRetentionDays",
    "backupCopyRegion", "backupCopyRetentionDays",
}  # fmt: skip
_CDN_KEYS = {"priceClass"}
_WAF_KEYS = {"rateLimit"}
_ALERT_KEYS = {"email"}
_SUPPORT_TYPES = ("STANDARD", "EXTENDED")
# Keys of the k8s target that the AWS program fills in itself from what it builds.
_BUILT_HERE = ("database", "postgres", "storage", "ingress", "kubeContext")
_PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
_ACM_ARN = re.compile(
    r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:(?P<account>\d{12}):certificate/(?P<id>[0-9a-f-]+)$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


@dataclass(frozen=True)
class NetworkSettings:
    cidr: str = "10.0.0.0/16"
    # One NAT gateway per AZ survives the loss of a zone; one in total is cheaper (dev).
    nat_per_az: bool = False
    # Three availability zones; by default the region's a, b and c.
    zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterSettings:
    # In EKS standard support until March 2027; versions past it cost 6x per cluster hour.
    version: str = "1.35"
    public_endpoint: bool = True  # `pulumi up` and kubectl reach the API from outside the VPC
    private_endpoint: bool = True  # pods and Fargate nodes reach it without leaving the VPC
    public_access_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    # Prod refuses `pulumi destroy` of the cluster (and a replacement) until this is turned off.
    deletion_protection: bool = False
    # STANDARD: EKS upgrades the control plane when standard support ends, rather than billing
    # extended support (6x per cluster hour) for as long as nobody notices.
    support_type: str = "STANDARD"


# The original platform's database size (4 vCPU / 16 GiB): prod's default class.
PROD_INSTANCE_CLASS = "db.m7g.xlarge"


@dataclass(frozen=True)
class RdsSettings:
    instance_class: str = "db.t4g.medium"
    allocated_storage_gb: int = 20
    max_allocated_storage_gb: int = 100  # storage autoscaling ceiling
    multi_az: bool = False
    deletion_protection: bool = False
    backup_retention_days: int = 7
    performance_insights_retention_days: int = 7  # 7 days is the free tier
    # A copy of the automated backups in another region (RDS automated backup replication), so a
    # regional outage or a lost account region does not take the dataset with it.
    backup_copy_region: str | None = None
    backup_copy_retention_days: int = 7


@dataclass(frozen=True)
class AwsSettings:
    """Everything the AWS program reads from stack config, apart from the app's own keys."""

    stack: str
    region: str
    network: NetworkSettings
    cluster: ClusterSettings
    rds: RdsSettings
    domain: str | None = None
    certificate_arn: str | None = None
    # PriceClass_200 is the cheapest class with edge locations in India (100 has none there).
    cdn_price_class: str = "PriceClass_200"
    # Requests per IP per 5 minutes before WAF blocks. Generous: Indian mobile carriers put many
    # contributors behind one CGNAT address.
    waf_rate_limit: int = 2000
    log_retention_days: int = 30
    # ALB access logs in S3 (expired after this many days).
    access_log_retention_days: int = 90
    # Where the alarms go: an SNS topic with these e-mail subscriptions (none: the topic only).
    alert_emails: tuple[str, ...] = ()
    # A prod stack (preset prod, or a name ending in "prod"): stricter checks and defaults.
    prod: bool = False

    @property
    def cluster_name(self) -> str:
        return f"crowdsource-{self.stack}"


def _cidr(key: str, value: Any) -> str:
    try:
        network = ipaddress.ip_network(str(value))
    except ValueError:
        raise ConfigError(key, f"{value!r} is not a CIDR block such as 10.0.0.0/16") from None
    if network.version != 4 or not 16 <= network.prefixlen <= 20:
        raise ConfigError(key, "expected an IPv4 block from /16 to /20 (six subnets are cut)")
    return str(network)


def read_settings(config: pulumi.Config, stack: str) -> AwsSettings:
    """The AWS keys of the stack, with defaults sized for dev."""
    for key in _BUILT_HERE:
        if config.get(key) is not None:
            raise ConfigError(key, "the aws target builds this itself: remove the key")
    region = pulumi.Config("aws").get("region")
    if not region:
        raise ConfigError("aws:region", "required: pulumi config set aws:region ap-south-1")

    net = config_map(config, "network", _NETWORK_KEYS)
    network = NetworkSettings(
        cidr=_cidr("network.cidr", net.get("cidr", NetworkSettings.cidr)),
        nat_per_az=true_or_false("network.natPerAz", net.get("natPerAz", False)),
        zones=_zones(region, net.get("zones")),
    )
    cl = config_map(config, "cluster", _CLUSTER_KEYS)
    version = str(cl.get("version", ClusterSettings.version))
    if not re.match(r"^1\.\d{2}$", version):
        raise ConfigError("cluster.version", f"{version!r} is not a Kubernetes version like 1.35")
    # A prod stack (preset prod, or a name ending in "prod") defaults to the seed's size, a
    # standby and deletion protection: forgetting a key must never make prod fragile.
    prod = config.get("preset") == "prod" or stack.endswith("prod")
    support_type = str(cl.get("supportType", ClusterSettings.support_type))
    if support_type not in _SUPPORT_TYPES:
        raise ConfigError("cluster.supportType", f"{support_type!r} is not one of {_SUPPORT_TYPES}")
    cluster = ClusterSettings(
        version=version,
        public_endpoint=true_or_false("cluster.publicEndpoint", cl.get("publicEndpoint", True)),
        private_endpoint=true_or_false("cluster.privateEndpoint", cl.get("privateEndpoint", True)),
        public_access_cidrs=_endpoint_cidrs(cl.get("publicAccessCidrs", ["0.0.0.0/0"]), prod),
        deletion_protection=true_or_false(
            "cluster.deletionProtection", cl.get("deletionProtection", prod)
        ),
        support_type=support_type,
    )
    if not (cluster.public_endpoint or cluster.private_endpoint):
        raise ConfigError("cluster", "enable the public or the private endpoint (or both)")

    db = config_map(config, "rds", _RDS_KEYS)
    default_class = PROD_INSTANCE_CLASS if prod else RdsSettings.instance_class
    instance_class = str(db.get("instanceClass", default_class))
    if not re.match(r"^db\.[a-z0-9]+\.[a-z0-9]+$", instance_class):
        raise ConfigError("rds.instanceClass", f"{instance_class!r} is not like db.m7g.xlarge")
    allocated = whole_number("rds.allocatedStorageGb", db.get("allocatedStorageGb", 20), 20, 65536)
    rds = RdsSettings(
        instance_class=instance_class,
        allocated_storage_gb=allocated,
        max_allocated_storage_gb=whole_number(
            "rds.maxAllocatedStorageGb", db.get("maxAllocatedStorageGb", 100), allocated, 65536
        ),
        multi_az=true_or_false("rds.multiAz", db.get("multiAz", prod)),
        deletion_protection=true_or_false(
            "rds.deletionProtection", db.get("deletionProtection", prod)
        ),
        backup_retention_days=whole_number(
            "rds.backupRetentionDays", db.get("backupRetentionDays", 7), 1, 35
        ),
        performance_insights_retention_days=whole_number(
            "rds.performanceInsightsRetentionDays",
            db.get("performanceInsightsRetentionDays", 7),
            7,
            731,
        ),
        backup_copy_region=_backup_region(region, db.get("backupCopyRegion")),
        backup_copy_retention_days=whole_number(
            "rds.backupCopyRetentionDays", db.get("backupCopyRetentionDays", 7), 1, 35
        ),
    )

    domain = config.get("domain")
    if domain is not None and not re.match(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$", domain):
        raise ConfigError("domain", f"{domain!r} is not a DNS name")
    certificate_arn = config.get("certificateArn")
    if certificate_arn is not None:
        _check_certificate_arn(certificate_arn, domain, region)
    if domain and not certificate_arn:
        raise ConfigError("certificateArn", "required with a domain (an ACM certificate for it)")
    price_class = config_map(config, "cdn", _CDN_KEYS).get("priceClass", "PriceClass_200")
    if price_class not in _PRICE_CLASSES:
        raise ConfigError("cdn.priceClass", f"{price_class!r} is not one of {_PRICE_CLASSES}")
    rate = config_map(config, "waf", _WAF_KEYS).get("rateLimit", 2000)
    emails = config_map(config, "alerts", _ALERT_KEYS).get("email") or []
    if not isinstance(emails, list) or not all(_EMAIL.match(str(e)) for e in emails):
        raise ConfigError("alerts.email", "expected a list of e-mail addresses")
    return AwsSettings(
        stack=stack,
        region=region,
        network=network,
        cluster=cluster,
        rds=rds,
        domain=domain,
        certificate_arn=certificate_arn,
        cdn_price_class=price_class,
        waf_rate_limit=whole_number("waf.rateLimit", rate, 10, 2_000_000_000),
        log_retention_days=whole_number(
            "logRetentionDays", config.get("logRetentionDays") or 30, 1, 3653
        ),
        access_log_retention_days=whole_number(
            "accessLogRetentionDays", config.get("accessLogRetentionDays") or 90, 1, 3653
        ),
        alert_emails=tuple(str(e) for e in emails),
        prod=prod,
    )


def is_placeholder_certificate(arn: str) -> bool:
    """An ACM ARN whose account or certificate id is all zeros: a stack file's placeholder."""
    match = _ACM_ARN.match(arn)
    if match is None:
        return False
    return set(match["account"]) == {"0"} or set(match["id"]) <= {"0", "-"}


def _check_certificate_arn(arn: str, domain: str | None, region: str) -> None:
    """An ACM certificate ARN that can be real: the format, and no placeholder. A placeholder
    (an all-zero account or certificate id) passes the format, and then the ALB's HTTPS listener
    cannot be created and the Ingress waits out its timeout: refuse it here instead."""
    match = _ACM_ARN.match(arn)
    if not match:
        raise ConfigError("certificateArn", f"{arn!r} is not an ACM certificate ARN")
    if is_placeholder_certificate(arn):
        raise ConfigError(
            "certificateArn",
            f"{arn!r} is a placeholder (all-zero account or certificate id): request an ACM "
            f"certificate for {domain or 'the domain'} in {region} and set its ARN",
        )
    if f":acm:{region}:" not in arn:
        raise ConfigError("certificateArn", f"the ALB needs a certificate in {region}")


def _endpoint_cidrs(value: Any, prod: bool) -> tuple[str, ...]:
    """Who may reach the cluster's public API endpoint. Prod names its CI runners and admins
    (infra.config_values.operator_cidrs says what is refused)."""
    cidrs = operator_cidrs(
        "cluster.publicAccessCidrs", value, prod=prod, empty_means="everyone, for EKS"
    )
    return cidrs


def _backup_region(region: str, value: Any) -> str | None:
    """The region that keeps a copy of the automated backups: another region of AWS."""
    if value is None:
        return None
    copy = str(value)
    if not re.match(r"^[a-z]{2}(-[a-z]+)+-\d$", copy):
        raise ConfigError("rds.backupCopyRegion", f"{copy!r} is not an AWS region")
    if copy == region:
        raise ConfigError("rds.backupCopyRegion", f"must differ from the stack's region {region}")
    return copy


def _zones(region: str, value: Any) -> tuple[str, ...]:
    """Named in config rather than looked up, so a preview is repeatable and subnets never move
    when AWS opens a zone."""
    zones = tuple(str(z) for z in value) if value else tuple(f"{region}{s}" for s in "abc")
    if len(zones) != 3 or len(set(zones)) != 3 or not all(z.startswith(region) for z in zones):
        raise ConfigError("network.zones", f"expected three distinct zones of {region}")
    return zones
