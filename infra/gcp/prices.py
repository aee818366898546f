"""Google Cloud list prices (USD, asia-south1 / Mumbai, on-demand, no committed-use or
sustained-use discounts, no free tiers) applied to what a gcp stack creates.

As of 2026-12-07, from the pages in SOURCES: the alerting and logging figures were read then
(issue #17), the others carried over from the reading of 2026-12-01. The GKE cluster fee ($0.10
per cluster-hour), the Cloud Armor standard prices and the alerting prices are the same in every
region; the per-region figures (Autopilot pods, Cloud SQL, Cloud NAT, GCS, Artifact Registry) are
Mumbai's. Re-read the pages before a budget decision: Google changes prices, and the `basis` of
each line says what was assumed.

Usage-driven items (requests, traffic, stored recordings) cannot be read from the stack: they are
the assumptions in USAGE, the same for every stack so environments compare like for like.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from infra.capture import Capture
from infra.cost import HOURS_PER_MONTH, CostLine, PriceTable, web_pods

AS_OF = "2026-12-07"
SOURCES = (
    "https://cloud.google.com/kubernetes-engine/pricing",
    "https://cloud.google.com/sql/pricing",
    "https://cloud.google.com/nat/pricing",
    "https://cloud.google.com/vpc/network-pricing",
    "https://cloud.google.com/armor/pricing",
    "https://cloud.google.com/cdn/pricing",
    "https://cloud.google.com/storage/pricing",
    "https://cloud.google.com/artifact-registry/pricing",
    "https://cloud.google.com/stackdriver/pricing",
    "https://cloud.google.com/monitoring/alerts/cost-control",
)

# GKE: one flat fee per cluster (Autopilot included), then Autopilot general-purpose pods by
# their requests. Autopilot rounds a pod up: CPU in steps of 0.25 vCPU, memory at least
# 0.5 GiB and at least 1 GiB per vCPU.
GKE_CLUSTER_HOUR = 0.10
AUTOPILOT_VCPU_HOUR = 0.0535
AUTOPILOT_GIB_HOUR = 0.0059
AUTOPILOT_CPU_STEP = 0.25
AUTOPILOT_MIN_GIB = 0.5
AUTOPILOT_MIN_GIB_PER_VCPU = 1.0
# Cloud SQL for PostgreSQL, Enterprise edition. REGIONAL (HA) bills the standby too: compute
# and storage at twice the price.
SQL_VCPU_HOUR = 0.0496
SQL_GB_HOUR = 0.0084
SQL_SSD_GB_MONTH = 0.204
SQL_BACKUP_GB_MONTH = 0.096
# Cloud NAT: per gateway-hour for each VM using it (up to 32 VMs), per GB processed, and the
# external IP address it holds.
NAT_VM_HOUR = 0.0014
NAT_GB = 0.045
EXTERNAL_IP_HOUR = 0.005
# Global external Application Load Balancer: the first 5 forwarding rules of a project are one
# flat rate, each one after that extra; plus inbound/outbound data processed.
LB_FIRST_FIVE_RULES_HOUR = 0.025
LB_EXTRA_RULE_HOUR = 0.010
LB_GB_PROCESSED = 0.008
# Cloud Armor Standard (pay as you go): per policy, per rule, per million requests evaluated.
ARMOR_POLICY_MONTH = 5.0
ARMOR_RULE_MONTH = 1.0
ARMOR_MILLION_REQUESTS = 0.75
# Cloud CDN: cache egress to Asia Pacific (first 10 TB) and cache lookups.
CDN_EGRESS_GB = 0.09
CDN_LOOKUPS_10K = 0.0075
# Cloud Storage, Standard class in a region; class A (writes) and class B (reads) operations.
GCS_STANDARD_GB_MONTH = 0.023
GCS_CLASS_A_10K = 0.05
GCS_CLASS_B_10K = 0.004
# Artifact Registry: storage beyond the free 0.5 GB.
REGISTRY_GB_MONTH = 0.10
# Cloud Monitoring alerting (charged since Google's announced start, "no sooner than April
# 2025"): per condition of an alert policy, and per million time series its query returns.
# A condition is evaluated every 30 s: 86,400 times in a 30-day month. Email notification
# channels cost nothing.
ALERT_CONDITION_MONTH = 1.50
ALERT_MILLION_SERIES = 0.35
ALERT_EVALUATIONS_MONTH = 86_400
# Cloud Logging: $0.50/GiB ingested beyond 50 GiB per project a month. The refresh job's
# success line is already in the container logs GKE sends; the log-based metric counting it
# adds a few points a day of a user-defined metric, within Monitoring's free 150 MiB.
LOG_METRIC_MONTH = 0.0
LOG_FREE_GIB = 50
LOG_INGEST_GIB = 0.50
LOG_RETENTION_GIB_MONTH = 0.01  # for each GiB kept longer than the included 30 days
# Backups in another region (gcp.sql.backupLocation) are priced per GB like those in the
# default location (SQL_BACKUP_GB_MONTH): moving them costs nothing extra on the pricing page.


@dataclass(frozen=True)
class Usage:
    """What the stack cannot say about itself: a month of a busy campaign."""

    app_million_requests: float = 20.0  # every request passes Cloud Armor
    app_gb_through_lb: float = 150.0  # uploads of ~5 s clips in, pages and audio out
    dashboard_gb_from_cdn: float = 100.0
    dashboard_million_lookups: float = 5.0
    recordings_gb: float = 300.0  # stored audio, incl. noncurrent versions kept a while
    recordings_thousand_writes: float = 500.0
    recordings_thousand_reads: float = 2000.0
    nat_gb: float = 50.0  # image pulls and the odd external API; GCS goes via Google Access
    image_gb: float = 5.0  # a few releases of the app image
    extra_nodes: int = 2  # Autopilot nodes for system pods and the jobs, besides web pods
    logs_gib: float = 20.0  # a month of pod, sampled load-balancer and flow logs, SQL logs


USAGE = Usage()


def autopilot_pod(vcpu: float, gib: float) -> tuple[float, float]:
    """The vCPU and GiB Autopilot bills for a pod that requests `vcpu` and `gib`."""
    cpu = max(AUTOPILOT_CPU_STEP, math.ceil(vcpu / AUTOPILOT_CPU_STEP) * AUTOPILOT_CPU_STEP)
    memory = max(gib, AUTOPILOT_MIN_GIB, cpu * AUTOPILOT_MIN_GIB_PER_VCPU)
    return cpu, memory


_CUSTOM_TIER = re.compile(r"^db-custom-(\d+)-(\d+)$")
# Predefined tiers the stacks might name: (vCPU, GB).
_TIERS = {"db-g1-small": (0.5, 1.7), "db-f1-micro": (0.2, 0.6)}


def sql_shape(tier: str) -> tuple[float, float]:
    """(vCPU, GB of memory) of a Cloud SQL tier such as db-custom-4-16384."""
    match = _CUSTOM_TIER.match(tier)
    if match:
        return float(match.group(1)), int(match.group(2)) / 1024
    if tier in _TIERS:
        return _TIERS[tier]
    raise ValueError(f"no price for Cloud SQL tier {tier!r}: add it to infra/gcp/prices.py")


def _line(item: str, monthly: float, basis: str) -> CostLine:
    return CostLine(item, round(monthly, 2), basis)


def _gke(capture: Capture) -> list[CostLine]:
    clusters = capture.of_type("gcp:container/cluster:Cluster")
    pods = web_pods(capture)
    cpu, gib = autopilot_pod(pods.vcpu, pods.memory_gib)
    replicas = pods.min_replicas
    return [
        _line(
            "GKE cluster management fee",
            len(clusters) * GKE_CLUSTER_HOUR * HOURS_PER_MONTH,
            f"{len(clusters)} cluster × ${GKE_CLUSTER_HOUR}/h (free-tier credit not applied)",
        ),
        _line(
            "GKE Autopilot web pods: vCPU",
            cpu * replicas * AUTOPILOT_VCPU_HOUR * HOURS_PER_MONTH,
            f"{replicas} pods (HPA minimum) × {cpu:g} vCPU × ${AUTOPILOT_VCPU_HOUR}/vCPU-h",
        ),
        _line(
            "GKE Autopilot web pods: memory",
            gib * replicas * AUTOPILOT_GIB_HOUR * HOURS_PER_MONTH,
            f"{replicas} pods × {gib:g} GiB (Autopilot minimum applied) "
            f"× ${AUTOPILOT_GIB_HOUR}/GiB-h",
        ),
    ]


def _sql(capture: Capture) -> list[CostLine]:
    lines = []
    for instance in capture.of_type("gcp:sql/databaseInstance:DatabaseInstance"):
        settings = instance.plain_inputs["settings"]
        vcpu, gb = sql_shape(settings["tier"])
        regional = settings.get("availabilityType") == "REGIONAL"
        factor = 2 if regional else 1
        ha = " × 2 (REGIONAL: primary + standby)" if regional else " (ZONAL)"
        disk = int(settings.get("diskSize", 10))
        lines += [
            _line(
                f"Cloud SQL {settings['tier']}: vCPU + memory",
                factor * (vcpu * SQL_VCPU_HOUR + gb * SQL_GB_HOUR) * HOURS_PER_MONTH,
                f"({vcpu:g} vCPU × ${SQL_VCPU_HOUR}/h + {gb:g} GB × ${SQL_GB_HOUR}/h){ha}",
            ),
            _line(
                "Cloud SQL SSD storage",
                factor * disk * SQL_SSD_GB_MONTH,
                f"{disk} GB × ${SQL_SSD_GB_MONTH}/GB-month{ha}",
            ),
            _line(
                "Cloud SQL backups and PITR logs",
                disk * SQL_BACKUP_GB_MONTH,
                f"assumed ≈ the disk size ({disk} GB) × ${SQL_BACKUP_GB_MONTH}/GB-month"
                + _backup_place(settings),
            ),
        ]
    return lines


def _backup_place(settings: dict[str, object]) -> str:
    backups = settings.get("backupConfiguration") or {}
    location = backups.get("location") if isinstance(backups, dict) else None
    return f", kept in {location} (same price)" if location else ""


def _alerting(capture: Capture) -> list[CostLine]:
    policies = capture.of_type("gcp:monitoring/alertPolicy:AlertPolicy")
    if not policies:
        return []
    conditions = sum(len(p.plain_inputs.get("conditions") or []) for p in policies)
    series = conditions * ALERT_EVALUATIONS_MONTH / 1e6  # one series per condition
    channels = len(capture.of_type("gcp:monitoring/notificationChannel:NotificationChannel"))
    lines = [
        _line(
            "Cloud Monitoring alert policies",
            conditions * ALERT_CONDITION_MONTH + series * ALERT_MILLION_SERIES,
            f"{conditions} conditions × ${ALERT_CONDITION_MONTH:.2f} + {series:.2f} M series "
            f"returned (1 per condition every 30 s) × ${ALERT_MILLION_SERIES}/M; "
            f"{channels} email channels free",
        )
    ]
    for bucket in capture.of_type("gcp:logging/projectBucketConfig:ProjectBucketConfig"):
        days = int(bucket.plain_inputs.get("retentionDays") or 30)
        kept_months = max(0, days - 30) / 30
        lines.append(
            _line(
                "Cloud Logging (ingestion and retention)",
                max(0.0, USAGE.logs_gib - LOG_FREE_GIB) * LOG_INGEST_GIB
                + USAGE.logs_gib * kept_months * LOG_RETENTION_GIB_MONTH,
                f"assumed {USAGE.logs_gib:g} GiB a month ({LOG_FREE_GIB} GiB free, then "
                f"${LOG_INGEST_GIB}/GiB), kept {days} d: {kept_months:g} month(s) beyond 30 d "
                f"× ${LOG_RETENTION_GIB_MONTH}/GiB",
            )
        )
    if capture.of_type("gcp:logging/metric:Metric"):
        lines.append(
            _line(
                "Log-based metric (dashboard refresh)",
                LOG_METRIC_MONTH,
                "counts lines already ingested; a few points a day, within the free allotment",
            )
        )
    return lines


def _network(capture: Capture) -> list[CostLine]:
    lines = []
    nats = capture.of_type("gcp:compute/routerNat:RouterNat")
    if nats:
        vms = min(32, web_pods(capture).min_replicas + USAGE.extra_nodes)
        lines.append(
            _line(
                "Cloud NAT",
                len(nats)
                * (
                    vms * NAT_VM_HOUR * HOURS_PER_MONTH
                    + EXTERNAL_IP_HOUR * HOURS_PER_MONTH
                    + USAGE.nat_gb * NAT_GB
                ),
                f"{vms} nodes (assumed: one per web pod + {USAGE.extra_nodes}) × ${NAT_VM_HOUR}/h"
                f" + 1 IP × ${EXTERNAL_IP_HOUR}/h + {USAGE.nat_gb:g} GB × ${NAT_GB}/GB",
            )
        )
    # GKE's Ingress controller creates the app's HTTPS forwarding rule: count one per Ingress.
    rules = len(capture.of_type("gcp:compute/globalForwardingRule:GlobalForwardingRule"))
    rules += len(capture.of_type("kubernetes:networking.k8s.io/v1:Ingress"))
    if rules:
        extra = max(0, rules - 5)
        lines.append(
            _line(
                "Load balancer forwarding rules",
                (LB_FIRST_FIVE_RULES_HOUR + extra * LB_EXTRA_RULE_HOUR) * HOURS_PER_MONTH,
                f"{rules} rules (app + CDN, HTTPS and redirects): first 5 at "
                f"${LB_FIRST_FIVE_RULES_HOUR}/h, {extra} more at ${LB_EXTRA_RULE_HOUR}/h",
            )
        )
        lines.append(
            _line(
                "Load balancer data processed",
                (USAGE.app_gb_through_lb + USAGE.dashboard_gb_from_cdn) * LB_GB_PROCESSED,
                f"assumed {USAGE.app_gb_through_lb + USAGE.dashboard_gb_from_cdn:g} GB "
                f"× ${LB_GB_PROCESSED}/GB",
            )
        )
    return lines


def _armor(capture: Capture) -> list[CostLine]:
    policies = capture.of_type("gcp:compute/securityPolicy:SecurityPolicy")
    if not policies:
        return []
    rules = sum(len(p.plain_inputs.get("rules") or []) for p in policies)
    return [
        _line(
            "Cloud Armor policies and rules",
            len(policies) * ARMOR_POLICY_MONTH + rules * ARMOR_RULE_MONTH,
            f"{len(policies)} policies × ${ARMOR_POLICY_MONTH:g} + {rules} rules × "
            f"${ARMOR_RULE_MONTH:g}",
        ),
        _line(
            "Cloud Armor requests",
            (USAGE.app_million_requests + USAGE.dashboard_million_lookups) * ARMOR_MILLION_REQUESTS,
            f"assumed {USAGE.app_million_requests:g} M app + "
            f"{USAGE.dashboard_million_lookups:g} M CDN requests × ${ARMOR_MILLION_REQUESTS}/M",
        ),
    ]


def _cdn_and_storage(capture: Capture) -> list[CostLine]:
    lines = []
    cdn = [
        b
        for b in capture.of_type("gcp:compute/backendBucket:BackendBucket")
        if b.plain_inputs.get("enableCdn")
    ]
    if cdn:
        lines.append(
            _line(
                "Cloud CDN (dashboard JSON)",
                USAGE.dashboard_gb_from_cdn * CDN_EGRESS_GB
                + USAGE.dashboard_million_lookups * 100 * CDN_LOOKUPS_10K,
                f"assumed {USAGE.dashboard_gb_from_cdn:g} GB × ${CDN_EGRESS_GB}/GB + "
                f"{USAGE.dashboard_million_lookups:g} M lookups × ${CDN_LOOKUPS_10K}/10k",
            )
        )
    buckets = capture.of_type("gcp:storage/bucket:Bucket")
    if buckets:
        lines.append(
            _line(
                "Cloud Storage (recordings; dashboard JSON is tiny)",
                USAGE.recordings_gb * GCS_STANDARD_GB_MONTH
                + USAGE.recordings_thousand_writes / 10 * GCS_CLASS_A_10K
                + USAGE.recordings_thousand_reads / 10 * GCS_CLASS_B_10K,
                f"{len(buckets)} buckets; assumed {USAGE.recordings_gb:g} GB × "
                f"${GCS_STANDARD_GB_MONTH}/GB + {USAGE.recordings_thousand_writes:g}k writes "
                f"+ {USAGE.recordings_thousand_reads:g}k reads",
            )
        )
    registries = capture.of_type("gcp:artifactregistry/repository:Repository")
    if registries:
        lines.append(
            _line(
                "Artifact Registry",
                max(0.0, USAGE.image_gb - 0.5) * REGISTRY_GB_MONTH,
                f"assumed {USAGE.image_gb:g} GB of images, 0.5 GB free, ${REGISTRY_GB_MONTH}/GB",
            )
        )
    return lines


def price(capture: Capture) -> list[CostLine]:
    """One line per priced item of the captured gcp stack."""
    return [
        *_gke(capture),
        *_sql(capture),
        *_alerting(capture),
        *_network(capture),
        *_armor(capture),
        *_cdn_and_storage(capture),
    ]


TABLE = PriceTable(cloud="gcp", region="asia-south1", as_of=AS_OF, sources=SOURCES, price=price)
