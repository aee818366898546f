"""AWS list prices for ap-south-1 (Mumbai), applied to what an AWS stack creates.

`crowdsource cost --stack aws-prod` prices the captured resources with this table. Unit prices are
on-demand USD list prices for Asia Pacific (Mumbai) from the AWS pricing pages in SOURCES, as of
AS_OF; they were not re-read over the network when this table was last edited, so re-check them
with the AWS Pricing Calculator before a budget depends on them. Usage (traffic, stored
recordings, log volume) is an assumption, stated in each line's basis: a stack whose web
autoscaler keeps 3 or more pods is priced with PROD_USAGE, any other with DEV_USAGE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from infra.capture import Capture, Registered
from infra.cost import HOURS_PER_MONTH, CostLine, PriceTable, cpu_cores, memory_gib, web_pods

REGION = "ap-south-1"
AS_OF = "2026-12-07"
SOURCES = (
    "https://aws.amazon.com/eks/pricing/",
    "https://aws.amazon.com/fargate/pricing/",
    "https://aws.amazon.com/rds/postgresql/pricing/",
    "https://aws.amazon.com/vpc/pricing/",
    "https://aws.amazon.com/elasticloadbalancing/pricing/",
    "https://aws.amazon.com/waf/pricing/",
    "https://aws.amazon.com/cloudfront/pricing/",
    "https://aws.amazon.com/s3/pricing/",
    "https://aws.amazon.com/kms/pricing/",
    "https://aws.amazon.com/cloudwatch/pricing/ (alarms, custom metrics, vended logs)",
    "https://aws.amazon.com/sns/pricing/",
    "https://aws.amazon.com/rds/postgresql/pricing/ (backup storage, cross-region copies)",
    "https://aws.amazon.com/ecr/pricing/",
    "https://aws.amazon.com/ec2/pricing/on-demand/ (data transfer, public IPv4)",
)

# EKS: per cluster-hour; a version past standard support bills the extended rate.
EKS_STANDARD_HOUR = 0.10
EKS_EXTENDED_HOUR = 0.60
# Versions past standard support on 2026-12-01 (1.33's ended on 2026-07-29, 1.34's on
# 2026-12-02): keep this in step with the EKS version calendar.
EKS_EXTENDED_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34")
# Fargate (Linux/x86) per vCPU-hour and GB-hour.
FARGATE_VCPU_HOUR = 0.04256
FARGATE_GB_HOUR = 0.00467
# RDS for PostgreSQL, Single-AZ instance-hour by class (Multi-AZ bills two instances).
RDS_INSTANCE_HOUR = {
    "db.t4g.micro": 0.018,
    "db.t4g.small": 0.036,
    "db.t4g.medium": 0.072,
    "db.t4g.large": 0.145,
    "db.m7g.large": 0.179,
    "db.m7g.xlarge": 0.358,
    "db.m7g.2xlarge": 0.716,
    "db.m6g.xlarge": 0.340,
    "db.r7g.large": 0.239,
    "db.r7g.xlarge": 0.478,
}
RDS_GP3_GB_MONTH = 0.131  # 3,000 IOPS included; backups free up to the provisioned size
NAT_HOUR = 0.056
NAT_GB = 0.056
PUBLIC_IPV4_HOUR = 0.005  # every public address, in use or not (NAT EIPs, the ALB's nodes)
ALB_HOUR = 0.0239
ALB_LCU_HOUR = 0.008
ALB_ZONES = 3  # an internet-facing ALB holds one public address per subnet it spans
DATA_OUT_GB = 0.1093  # EC2/ALB to the internet, first 10 TB
WAF_ACL_MONTH = 5.00
WAF_RULE_MONTH = 1.00  # a rule or a managed rule group
WAF_MILLION_REQUESTS = 0.60
CLOUDFRONT_INDIA_GB = 0.170
CLOUDFRONT_HTTPS_10K = 0.0120
S3_STANDARD_GB_MONTH = 0.025
S3_PUT_1K = 0.005
S3_GET_1K = 0.0004
KMS_KEY_MONTH = 1.00
LOGS_INGEST_GB = 0.67
LOGS_STORE_GB_MONTH = 0.033
ECR_GB_MONTH = 0.10
# Alarms and the metrics they read (standard resolution): an alarm bills per metric it reads,
# so a metric-math alarm over three metrics bills three.
ALARM_METRIC_MONTH = 0.10
CUSTOM_METRIC_MONTH = 0.30  # a log metric filter's metric (first 10,000 metrics)
SNS_FREE_EMAILS = 1000  # e-mail notifications a month without charge
# Vended logs (WAF, VPC flow logs) into CloudWatch Logs, first 10 TB a month.
VENDED_LOGS_GB = 0.50
# RDS automated backups replicated to another region: the copy's storage there, and the
# inter-region transfer of the snapshots and transaction logs.
RDS_BACKUP_COPY_GB_MONTH = 0.095
INTER_REGION_GB = 0.086
# Fargate adds 256 MiB for Kubernetes' own processes to every pod's memory request.
FARGATE_POD_OVERHEAD_GIB = 0.25
# CoreDNS runs two replicas (the EKS add-on's default); the charts say their own.
COREDNS_PODS = 2


@dataclass(frozen=True)
class Usage:
    """What a month of traffic and data looks like: the assumptions behind the usage lines."""

    label: str
    alb_lcu: float  # average load balancer capacity units
    nat_gb: float  # image pulls and external APIs (S3 goes through the free gateway endpoint)
    data_out_gb: float
    alb_million_requests: float
    cdn_gb: float
    cdn_million_requests: float
    s3_gb: float  # recordings stored
    s3_thousand_puts: float
    s3_thousand_gets: float
    logs_gb: float
    ecr_gb: float
    waf_log_gb: float  # both web ACLs' request logs
    flow_log_gb: float  # the VPC's flow logs
    alb_log_gb: float  # ALB access logs kept in S3 (the retention's worth)


PROD_USAGE = Usage(
    "prod traffic", 1.0, 100, 100, 10, 100, 10, 1000, 1000, 10_000, 30, 5, 10, 20, 10
)
DEV_USAGE = Usage("dev traffic", 0.1, 10, 2, 0.2, 1, 0.1, 10, 10, 100, 3, 5, 0.5, 2, 0.5)


# Fargate's pod sizes: vCPU → the memory sizes (GB) it can be paired with (AWS's table).
FARGATE_SIZES: dict[float, tuple[float, ...]] = {
    0.25: (0.5, 1, 2),
    0.5: tuple(range(1, 5)),
    1: tuple(range(2, 9)),
    2: tuple(range(4, 17)),
    4: tuple(range(8, 31)),
    8: tuple(range(16, 61, 4)),
    16: tuple(range(32, 121, 8)),
}


def fargate_size(vcpu: float, memory: float) -> tuple[float, float]:
    """The Fargate size a pod is billed at: the smallest vCPU/memory pair that holds its
    requests plus the 256 MiB overhead."""
    need = memory + FARGATE_POD_OVERHEAD_GIB
    for cpu, sizes in FARGATE_SIZES.items():
        fits = [gb for gb in sizes if gb >= need]
        if cpu >= vcpu and fits:
            return cpu, fits[0]
    raise ValueError(f"no Fargate size holds {vcpu} vCPU and {memory} GiB")


def _fargate_month(vcpu: float, gib: float, pods: int) -> float:
    return pods * (vcpu * FARGATE_VCPU_HOUR + gib * FARGATE_GB_HOUR) * HOURS_PER_MONTH


def _month(hourly: float, count: float = 1) -> float:
    return round(hourly * HOURS_PER_MONTH * count, 2)


def _props(resources: Iterable[Registered]) -> list[dict[str, Any]]:
    return [r.plain_inputs for r in resources]


def _eks(capture: Capture) -> list[CostLine]:
    lines = []
    for cluster in _props(capture.of_type("aws:eks/cluster:Cluster")):
        version = str(cluster.get("version", ""))
        extended = version in EKS_EXTENDED_VERSIONS
        rate = EKS_EXTENDED_HOUR if extended else EKS_STANDARD_HOUR
        support = "EXTENDED support: upgrade" if extended else "standard support"
        lines.append(
            CostLine(
                f"EKS control plane {version}",
                _month(rate),
                f"1 cluster × ${rate}/h ({support})",
            )
        )
    return lines


def _system_pods(capture: Capture) -> int:
    """CoreDNS plus the replicas the Helm charts in kube-system ask for."""
    pods = COREDNS_PODS if capture.of_type("aws:eks/addon:Addon") else 0
    for release in _props(capture.of_type("kubernetes:helm.sh/v3:Release")):
        values = release.get("values") or {}
        pods += int(values.get("replicas") or values.get("replicaCount") or 1)
    return pods


def _fargate(capture: Capture) -> list[CostLine]:
    pods = web_pods(capture)
    vcpu, gib = fargate_size(pods.vcpu, pods.memory_gib)
    low = _fargate_month(vcpu, gib, pods.min_replicas)
    high = _fargate_month(vcpu, gib, pods.max_replicas)
    system = _system_pods(capture)
    small_cpu, small_gib = fargate_size(cpu_cores("100m"), memory_gib("200Mi"))
    return [
        CostLine(
            "Fargate web pods",
            round(low, 2),
            f"{pods.min_replicas} pods (HPA minimum) billed at {vcpu:g} vCPU / {gib:g} GB "
            f"(requests {pods.vcpu:g} vCPU / {pods.memory_gib:g} GiB + 256 MiB, rounded up); "
            f"${high:,.0f} at the maximum of {pods.max_replicas}",
        ),
        CostLine(
            "Fargate system pods",
            round(_fargate_month(small_cpu, small_gib, system), 2),
            f"{system} pods (CoreDNS, metrics-server, load balancer controller) at "
            f"{small_cpu:g} vCPU / {small_gib:g} GB",
        ),
    ]


def _rds(capture: Capture) -> list[CostLine]:
    lines = []
    for db in _props(capture.of_type("aws:rds/instance:Instance")):
        klass = str(db.get("instanceClass"))
        copies = 2 if db.get("multiAz") else 1
        layout = "Multi-AZ (2 instances)" if copies == 2 else "Single-AZ"
        hourly = RDS_INSTANCE_HOUR.get(klass)
        if hourly is None:
            lines.append(
                CostLine(f"RDS {klass} UNPRICED", 0.0, "add its price to infra/aws/prices.py")
            )
        else:
            lines.append(
                CostLine(f"RDS {klass}", _month(hourly, copies), f"{layout} × ${hourly}/h")
            )
        storage = float(db.get("allocatedStorage") or 0)
        lines.append(
            CostLine(
                "RDS storage gp3",
                round(storage * copies * RDS_GP3_GB_MONTH, 2),
                f"{storage:g} GB × {copies} × ${RDS_GP3_GB_MONTH}/GB-month; backups within "
                "the free allowance; Performance Insights 7 days free",
            )
        )
    return lines


def _network(capture: Capture, usage: Usage) -> list[CostLine]:
    nats = len(capture.of_type("aws:ec2/natGateway:NatGateway"))
    addresses = len(capture.of_type("aws:ec2/eip:Eip"))
    albs = sum(
        1
        for obj in capture.kubernetes_objects()
        if obj["kind"] == "Ingress" and obj.get("spec", {}).get("ingressClassName") == "alb"
    )
    public = addresses + albs * ALB_ZONES
    return [
        CostLine(
            "NAT gateways",
            round(_month(NAT_HOUR, nats) + usage.nat_gb * NAT_GB, 2),
            f"{nats} × ${NAT_HOUR}/h + {usage.nat_gb:g} GB × ${NAT_GB}/GB ({usage.label})",
        ),
        CostLine(
            "Public IPv4 addresses",
            _month(PUBLIC_IPV4_HOUR, public),
            f"{addresses} NAT + {albs * ALB_ZONES} ALB × ${PUBLIC_IPV4_HOUR}/h",
        ),
        CostLine(
            "Application Load Balancer",
            round(albs * (_month(ALB_HOUR) + _month(ALB_LCU_HOUR, usage.alb_lcu)), 2),
            f"{albs} ALB (from the alb Ingress) × ${ALB_HOUR}/h + {usage.alb_lcu:g} LCU × "
            f"${ALB_LCU_HOUR}/h",
        ),
        CostLine(
            "Data transfer out",
            round(usage.data_out_gb * DATA_OUT_GB, 2),
            f"{usage.data_out_gb:g} GB × ${DATA_OUT_GB}/GB (pages and API; uploads are free in)",
        ),
    ]


def _waf(capture: Capture, usage: Usage) -> list[CostLine]:
    acls = _props(capture.of_type("aws:wafv2/webAcl:WebAcl"))
    rules = sum(len(acl.get("rules") or []) for acl in acls)
    requests = usage.alb_million_requests + usage.cdn_million_requests
    fixed = len(acls) * WAF_ACL_MONTH + rules * WAF_RULE_MONTH
    return [
        CostLine(
            "WAF web ACLs",
            round(fixed + requests * WAF_MILLION_REQUESTS, 2),
            f"{len(acls)} ACLs × ${WAF_ACL_MONTH:g} + {rules} rules × ${WAF_RULE_MONTH:g} + "
            f"{requests:g} M requests × ${WAF_MILLION_REQUESTS}/M ({usage.label})",
        )
    ]


def _edge_and_storage(capture: Capture, usage: Usage) -> list[CostLine]:
    cdns = len(capture.of_type("aws:cloudfront/distribution:Distribution"))
    buckets = len(capture.of_type("aws:s3/bucket:Bucket"))
    keys = len(capture.of_type("aws:kms/key:Key"))
    repos = len(capture.of_type("aws:ecr/repository:Repository"))
    groups = len(capture.of_type("aws:cloudwatch/logGroup:LogGroup"))
    cdn = usage.cdn_gb * CLOUDFRONT_INDIA_GB + usage.cdn_million_requests * 100 * (
        CLOUDFRONT_HTTPS_10K
    )
    s3 = (
        usage.s3_gb * S3_STANDARD_GB_MONTH
        + usage.s3_thousand_puts * S3_PUT_1K
        + usage.s3_thousand_gets * S3_GET_1K
    )
    logs = usage.logs_gb * (LOGS_INGEST_GB + LOGS_STORE_GB_MONTH)
    return [
        CostLine(
            "CloudFront",
            round(cdns * cdn, 2),
            f"{cdns} distribution: {usage.cdn_gb:g} GB × ${CLOUDFRONT_INDIA_GB}/GB (India) + "
            f"{usage.cdn_million_requests:g} M HTTPS requests × ${CLOUDFRONT_HTTPS_10K}/10k",
        ),
        CostLine(
            "S3",
            round(s3, 2) if buckets else 0.0,
            f"{buckets} buckets: {usage.s3_gb:g} GB × ${S3_STANDARD_GB_MONTH}/GB-month + "
            f"{usage.s3_thousand_puts:g}k PUT + {usage.s3_thousand_gets:g}k GET",
        ),
        CostLine("KMS keys", keys * KMS_KEY_MONTH, f"{keys} keys × ${KMS_KEY_MONTH:g}/month"),
        CostLine(
            "CloudWatch Logs",
            round(logs, 2) if groups else 0.0,
            f"{groups} log groups: {usage.logs_gb:g} GB × (${LOGS_INGEST_GB}/GB ingested + "
            f"${LOGS_STORE_GB_MONTH}/GB-month stored)",
        ),
        CostLine(
            "ECR",
            round(repos * usage.ecr_gb * ECR_GB_MONTH, 2),
            f"{repos} repository: {usage.ecr_gb:g} GB × ${ECR_GB_MONTH}/GB-month",
        ),
    ]


def _alarm_metrics(alarm: dict[str, Any]) -> int:
    queries = alarm.get("metricQueries") or []
    return sum(1 for q in queries if "metric" in q) if queries else 1


def _observability(capture: Capture, usage: Usage) -> list[CostLine]:
    """Alarms, the refresh metric, alert e-mails, WAF and flow logs, ALB access logs."""
    alarms = _props(capture.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))
    metrics = sum(_alarm_metrics(a) for a in alarms)
    filters = len(capture.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter"))
    subscriptions = len(capture.of_type("aws:sns/topicSubscription:TopicSubscription"))
    waf_logging = len(capture.of_type(
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
    ))  # fmt: skip
    flow_logs = len(capture.of_type("aws:ec2/flowLog:FlowLog"))
    vended_gb = (usage.waf_log_gb if waf_logging else 0) + (usage.flow_log_gb if flow_logs else 0)
    access_logs = any(
        "access_logs.s3.enabled=true"
        in str(obj["metadata"].get("annotations", {}).get(
            "alb.ingress.kubernetes.io/load-balancer-attributes", ""
        ))
        for obj in capture.kubernetes_objects()
        if obj["kind"] == "Ingress"
    )  # fmt: skip
    alb_log_gb = usage.alb_log_gb if access_logs else 0
    return [
        CostLine(
            "CloudWatch alarms",
            round(metrics * ALARM_METRIC_MONTH + filters * CUSTOM_METRIC_MONTH, 2),
            f"{len(alarms)} alarms reading {metrics} metrics × ${ALARM_METRIC_MONTH:g} + "
            f"{filters} log metric × ${CUSTOM_METRIC_MONTH:g}",
        ),
        CostLine(
            "SNS alert e-mails",
            0.0,
            f"{subscriptions} subscriptions; the first {SNS_FREE_EMAILS:,} e-mails a month "
            "are free",
        ),
        CostLine(
            "WAF and VPC flow logs",
            round(vended_gb * (VENDED_LOGS_GB + LOGS_STORE_GB_MONTH), 2),
            f"{waf_logging} WAF + {flow_logs} flow log destinations: {vended_gb:g} GB × "
            f"(${VENDED_LOGS_GB}/GB vended + ${LOGS_STORE_GB_MONTH}/GB-month) ({usage.label})",
        ),
        CostLine(
            "ALB access logs",
            round(alb_log_gb * S3_STANDARD_GB_MONTH, 2),
            f"{alb_log_gb:g} GB kept in S3 × ${S3_STANDARD_GB_MONTH}/GB-month (delivery free)",
        ),
    ]


def _backup_copies(capture: Capture) -> list[CostLine]:
    """A replicated backup holds about one database's worth, and a month moves about as much
    across regions (snapshots and transaction logs)."""
    copies = capture.of_type(
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
    )
    if not copies:
        return []
    storage = sum(float(db.get("allocatedStorage") or 0) for db in _props(
        capture.of_type("aws:rds/instance:Instance")
    ))  # fmt: skip
    rate = RDS_BACKUP_COPY_GB_MONTH + INTER_REGION_GB
    region = copies[0].plain_inputs.get("region", "another region")
    return [
        CostLine(
            "RDS backup copy",
            round(len(copies) * storage * rate, 2),
            f"{storage:g} GB in {region} × (${RDS_BACKUP_COPY_GB_MONTH}/GB-month + "
            f"${INTER_REGION_GB}/GB across regions); its KMS key is in the KMS line",
        )
    ]


def price(capture: Capture) -> list[CostLine]:
    """One line per priced item of the captured AWS stack."""
    usage = PROD_USAGE if web_pods(capture).min_replicas >= 3 else DEV_USAGE
    return [
        *_eks(capture),
        *_fargate(capture),
        *_rds(capture),
        *_network(capture, usage),
        *_waf(capture, usage),
        *_edge_and_storage(capture, usage),
        *_observability(capture, usage),
        *_backup_copies(capture),
    ]


TABLE = PriceTable(cloud="aws", region=REGION, as_of=AS_OF, sources=SOURCES, price=price)
