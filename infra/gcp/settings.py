"""GCP stack config → one typed `GcpSettings`, checked before anything is registered.

The provider keys `gcp:project` and `gcp:region` say where; the object `crowdsource:gcp` says how
big and how protected (docs/deploy.md lists every key). A wrong key stops the program with one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi

from infra.config_values import ConfigError, cidr, operator_cidrs, settings_map, whole_number

_DOMAIN = re.compile(r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CHANNELS = ("RAPID", "REGULAR", "STABLE")
_AVAILABILITY = ("ZONAL", "REGIONAL")
_TOP_KEYS = {
    "domain", "cdnDomain", "releaseChannel", "deletionProtection", "sql", "network",
    "rateLimit", "recordingsNoncurrentDays", "authorizedNetworks", "alerts", "logRetentionDays",
}  # fmt: skip
_SQL_KEYS = {
    "tier", "availability", "diskSizeGb", "backupsRetained", "slowQueryMs", "maxConnections",
    "backupLocation",
}  # fmt: skip
_ALERT_KEYS = {"email"}
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,63}$", re.IGNORECASE)
# A Cloud SQL backup location: a region (asia-south2) or a multi-region (asia, eu, us).
_LOCATION = re.compile(r"^([a-z]+-[a-z]+[0-9]+|asia|eu|us)$")
_NETWORK_KEYS = {"nodes", "pods", "services", "database"}
_RATE_KEYS = {"count", "intervalSec"}
# The only windows Cloud Armor accepts for rate_limit_threshold.interval_sec.
_INTERVALS = (10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600)


class ProviderConfigError(ConfigError):
    """A `gcp:` provider key is missing (ConfigError names `crowdsource:` keys)."""

    def __init__(self, key: str, problem: str) -> None:
        ValueError.__init__(self, f"gcp:{key}: {problem}")


@dataclass(frozen=True)
class NetworkRanges:
    """Address plan of the VPC. The defaults leave room for ~4,000 nodes' worth of pods."""

    nodes: str = "10.10.0.0/20"
    pods: str = "10.16.0.0/14"
    services: str = "10.20.0.0/20"
    # Cloud SQL's private IPs come from this range (private service access, VPC peering).
    database: str = "10.30.0.0/16"


@dataclass(frozen=True)
class SqlSettings:
    tier: str = "db-custom-1-3840"
    availability: str = "ZONAL"
    disk_size_gb: int = 20
    backups_retained: int = 7
    slow_query_ms: int = 1000
    # Set as the max_connections flag, so the connections alert knows the limit it is a share
    # of (Cloud SQL's own default depends on the tier's memory).
    max_connections: int = 100
    # Where automated backups are stored, away from the instance's region (None: Cloud SQL's
    # default, the multi-region nearest the instance). Required on prod stacks.
    backup_location: str | None = None


@dataclass(frozen=True)
class GcpSettings:
    project: str
    region: str
    domain: str  # the app's host name; its managed certificate needs DNS pointing at appAddress
    cdn_domain: str  # the dashboard CDN's host name (DNS → cdnAddress)
    release_channel: str = "REGULAR"
    deletion_protection: bool = False
    sql: SqlSettings = SqlSettings()
    network: NetworkRanges = NetworkRanges()
    rate_limit_count: int = 600
    rate_limit_interval_sec: int = 60
    recordings_noncurrent_days: int = 30
    authorized_networks: tuple[str, ...] = ()
    # How long the project's `_Default` log bucket keeps logs (Cloud Logging's default: 30).
    log_retention_days: int = 30
    # Who Cloud Monitoring's alert policies notify (email notification channels).
    alert_emails: tuple[str, ...] = ()
    prod: bool = False  # the stack's name ends in "prod": stricter checks below

    @property
    def app_origin(self) -> str:
        """The origin the app's pages run on: the only one allowed to read the dashboard
        JSON from the CDN host (CORS)."""
        return f"https://{self.domain}"


def _domain(key: str, value: Any) -> str:
    if not value:
        raise ConfigError(key, "required: the DNS name its managed certificate is issued for")
    if not _DOMAIN.match(str(value)):
        raise ConfigError(key, f"{value!r} is not a DNS name")
    return str(value)


def _choice(key: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(key, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _interval(value: Any) -> int:
    seconds = whole_number("gcp.rateLimit.intervalSec", value, 10, 3600)
    if seconds not in _INTERVALS:
        raise ConfigError(
            "gcp.rateLimit.intervalSec",
            f"{seconds} is not one of {', '.join(map(str, _INTERVALS))}",
        )
    return seconds


def _authorized_networks(value: Any, prod: bool) -> tuple[str, ...]:
    """Who may reach the cluster's API endpoint. Prod names them (infra.config_values.
    operator_cidrs says what is refused)."""
    return operator_cidrs(
        "gcp.authorizedNetworks", value, prod=prod, empty_means="the whole internet, for GKE"
    )


def _backup_location(value: Any, region: str, prod: bool) -> str | None:
    if value is None:
        if prod:
            raise ConfigError(
                "gcp.sql.backupLocation",
                f"required on a prod stack: a region other than {region} (or a multi-region "
                "such as asia) where backups survive the loss of the instance's region",
            )
        return None
    location = str(value)
    if not _LOCATION.match(location):
        raise ConfigError("gcp.sql.backupLocation", f"{location!r} is not a region or asia/eu/us")
    if location == region:
        raise ConfigError(
            "gcp.sql.backupLocation", f"{location} is the instance's own region: pick another"
        )
    return location


def _emails(value: Any, prod: bool) -> tuple[str, ...]:
    if value is not None and not isinstance(value, list):
        raise ConfigError("gcp.alerts.email", "expected a list of email addresses")
    emails = tuple(str(e) for e in value or [])
    for email in emails:
        if not _EMAIL.match(email):
            raise ConfigError("gcp.alerts.email", f"{email!r} is not an email address")
    if prod and not emails:
        raise ConfigError(
            "gcp.alerts.email", "required on a prod stack: who is told when an alert fires"
        )
    return emails


def read_settings(config: pulumi.Config) -> GcpSettings:
    """`gcp:project`, `gcp:region` and the `crowdsource:gcp` object, checked."""
    provider = pulumi.Config("gcp")
    project, region = provider.get("project"), provider.get("region")
    if not project:
        raise ProviderConfigError("project", "required: pulumi config set gcp:project MY-PROJECT")
    if not region:
        raise ProviderConfigError("region", "required: pulumi config set gcp:region asia-south1")
    raw = settings_map("gcp", config.get_object("gcp"), _TOP_KEYS)
    sql_raw = settings_map("gcp.sql", raw.get("sql"), _SQL_KEYS)
    net_raw = settings_map("gcp.network", raw.get("network"), _NETWORK_KEYS)
    rate_raw = settings_map("gcp.rateLimit", raw.get("rateLimit"), _RATE_KEYS)
    alert_raw = settings_map("gcp.alerts", raw.get("alerts"), _ALERT_KEYS)
    prod = pulumi.get_stack().endswith("prod")
    defaults = SqlSettings()
    sql = SqlSettings(
        tier=str(sql_raw.get("tier", defaults.tier)),
        availability=_choice(
            "gcp.sql.availability", sql_raw.get("availability", "ZONAL"), _AVAILABILITY
        ),
        disk_size_gb=whole_number("gcp.sql.diskSizeGb", sql_raw.get("diskSizeGb", 20), 10, 65536),
        backups_retained=whole_number(
            "gcp.sql.backupsRetained", sql_raw.get("backupsRetained", 7), 1, 365
        ),
        slow_query_ms=whole_number(
            "gcp.sql.slowQueryMs", sql_raw.get("slowQueryMs", 1000), 0, 600000
        ),
        max_connections=whole_number(
            "gcp.sql.maxConnections", sql_raw.get("maxConnections", 100), 25, 10000
        ),
        backup_location=_backup_location(sql_raw.get("backupLocation"), region, prod),
    )
    ranges = NetworkRanges()
    network = NetworkRanges(
        **{k: cidr(f"gcp.network.{k}", net_raw.get(k, getattr(ranges, k))) for k in _NETWORK_KEYS}
    )
    deletion_protection = raw.get("deletionProtection", False)
    if not isinstance(deletion_protection, bool):
        raise ConfigError("gcp.deletionProtection", "expected true or false")
    return GcpSettings(
        project=project,
        region=region,
        domain=_domain("gcp.domain", raw.get("domain")),
        cdn_domain=_domain("gcp.cdnDomain", raw.get("cdnDomain")),
        release_channel=_choice(
            "gcp.releaseChannel", raw.get("releaseChannel", "REGULAR"), _CHANNELS
        ),
        deletion_protection=deletion_protection,
        sql=sql,
        network=network,
        rate_limit_count=whole_number(
            "gcp.rateLimit.count", rate_raw.get("count", 600), 1, 1_000_000
        ),
        rate_limit_interval_sec=_interval(rate_raw.get("intervalSec", 60)),
        recordings_noncurrent_days=whole_number(
            "gcp.recordingsNoncurrentDays", raw.get("recordingsNoncurrentDays", 30), 1, 3650
        ),
        authorized_networks=_authorized_networks(raw.get("authorizedNetworks"), prod),
        alert_emails=_emails(alert_raw.get("email"), prod),
        log_retention_days=whole_number(
            "gcp.logRetentionDays", raw.get("logRetentionDays", 30), 1, 3650
        ),
        prod=prod,
    )
