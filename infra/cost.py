"""An offline monthly cost estimate of what a stack creates.

Infracost needs the network and knows no Pulumi, so each cloud keeps a dated, sourced price table
(infra/<cloud>/prices.py) that prices the resources captured under mocks. The estimate is a
planning figure, not a bill: usage (traffic, requests, storage growth) is an assumption stated in
each line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from infra.capture import Capture

HOURS_PER_MONTH = 730
# What the original platform estimated for its AWS deployment (RDS 4 vCPU $400, WAF $30,
# EKS + Fargate $300, ELB $150, others $200).
SEED_MONTHLY_USD = (1100, 1200)


@dataclass(frozen=True)
class CostLine:
    item: str
    monthly_usd: float
    basis: str  # how the figure was reached: quantities × unit prices, and any usage assumed


@dataclass(frozen=True)
class PriceTable:
    cloud: str
    region: str
    as_of: str  # the date the prices were read
    sources: tuple[str, ...]  # the pages they were read from
    price: Callable[[Capture], list[CostLine]]


@dataclass(frozen=True)
class PodLoad:
    """The app's pods as the scheduler sees them: requests × replicas."""

    vcpu: float
    memory_gib: float
    min_replicas: int
    max_replicas: int


_CPU = re.compile(r"^([0-9.]+)(m?)$")
_MEMORY = {"Ki": 1 / 1024**2, "Mi": 1 / 1024, "Gi": 1.0, "Ti": 1024.0, "M": 1e6 / 1024**3,
           "G": 1e9 / 1024**3}  # fmt: skip


def cpu_cores(quantity: str) -> float:
    match = _CPU.match(str(quantity))
    if not match:
        raise ValueError(f"not a CPU quantity: {quantity!r}")
    value = float(match.group(1))
    return value / 1000 if match.group(2) else value


def memory_gib(quantity: str) -> float:
    text = str(quantity)
    for suffix, factor in _MEMORY.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text) / 1024**3


def web_pods(capture: Capture) -> PodLoad:
    """The web Deployment's requests and the HPA's bounds, from the captured objects."""
    deployment = capture.one("kubernetes:apps/v1:Deployment", "web").plain_inputs
    hpa = capture.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").plain_inputs
    requests = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
    return PodLoad(
        vcpu=cpu_cores(requests["cpu"]),
        memory_gib=memory_gib(requests["memory"]),
        min_replicas=int(hpa["spec"]["minReplicas"]),
        max_replicas=int(hpa["spec"]["maxReplicas"]),
    )


def total(lines: list[CostLine]) -> float:
    return round(sum(line.monthly_usd for line in lines), 2)
