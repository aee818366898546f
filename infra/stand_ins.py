"""Stand-ins for the placeholders a shipped stack file holds for its adopter to replace.

`pulumi up` refuses the placeholders as they stand (an all-zero certificate ARN, a documentation
address range for who may reach the cluster's API): an adopter must set real values first. The
tests and `crowdsource cost` build the shipped files anyway, with these plausible values in
their place; neither the price nor what the tests check depends on which certificate or which
operator addresses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from infra.aws.settings import is_placeholder_certificate
from infra.config_values import DOCUMENTATION_NETWORKS

STAND_IN_ACCOUNT = "111122223333"
STAND_IN_CERTIFICATE_ID = "0b7f5c1e-4a2d-4c3b-9e8f-1a2b3c4d5e6f"
# RFC 2544's benchmarking range: not a documentation range, and nobody's real address either.
STAND_IN_CIDR = "198.18.0.0/15"
# (config key, key inside it) of the lists of operator networks.
_OPERATOR_NETWORKS = (
    ("crowdsource:cluster", "publicAccessCidrs"),
    ("crowdsource:gcp", "authorizedNetworks"),
)


def _is_documentation(block: Any) -> bool:
    try:
        network = ipaddress.ip_network(str(block))
    except ValueError:
        return False
    return any(
        network.version == doc.version and network.subnet_of(doc)  # type: ignore[arg-type]
        for doc in DOCUMENTATION_NETWORKS
    )


def stand_ins(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config keys ({"crowdsource:key": value}) whose values are shipped placeholders, with
    plausible values instead; {} when there is nothing to replace."""
    replaced: dict[str, Any] = {}
    arn = config.get("crowdsource:certificateArn")
    if isinstance(arn, str) and is_placeholder_certificate(arn):
        region = arn.split(":")[3]
        replaced["crowdsource:certificateArn"] = (
            f"arn:aws:acm:{region}:{STAND_IN_ACCOUNT}:certificate/{STAND_IN_CERTIFICATE_ID}"
        )
    for key, inner in _OPERATOR_NETWORKS:
        value = config.get(key)
        if isinstance(value, dict) and isinstance(value.get(inner), list):
            blocks = value[inner]
            if any(_is_documentation(b) for b in blocks):
                kept = [b for b in blocks if not _is_documentation(b)]
                replaced[key] = {**value, inner: kept or [STAND_IN_CIDR]}
    return replaced
