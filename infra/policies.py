"""Every policy of every target, for the policy pack; each target keeps its rules by its program."""

from __future__ import annotations

from infra.k8s.policies import K8S_POLICIES
from infra.policy import Policy

ALL_POLICIES: list[Policy] = [*K8S_POLICIES]

try:  # the cloud programs add theirs
    from infra.aws.policies import AWS_POLICIES

    ALL_POLICIES += AWS_POLICIES
except ImportError:  # pragma: no cover - until infra/aws exists
    pass
try:
    from infra.gcp.policies import GCP_POLICIES

    ALL_POLICIES += GCP_POLICIES
except ImportError:  # pragma: no cover
    pass
