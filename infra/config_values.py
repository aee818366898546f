"""Typed reads of stack-config values, shared by the k8s, aws and gcp programs: each either
returns the value in the type the program needs or raises ConfigError naming the key."""

from __future__ import annotations

import ipaddress
from typing import Any

import pulumi


class ConfigError(ValueError):
    """A stack-config key is missing or wrong; the message names it."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"crowdsource:{key}: {problem}")


def settings_map(key: str, value: Any, allowed: set[str]) -> dict[str, Any]:
    """A map of settings whose names are all in `allowed` ({} when unset)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(key, "expected a map of settings")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ConfigError(
            key, f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
        )
    return value


def string_map(key: str, value: Any) -> dict[str, str]:
    """A map of names to text values, such as labels, annotations or settings ({} when unset);
    numbers and booleans become text, as Kubernetes and the app's environment want."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ConfigError(key, "expected a map of names to text values")
    return {k: str(v) for k, v in value.items()}


def config_map(config: pulumi.Config, key: str, allowed: set[str]) -> dict[str, Any]:
    """The stack-config object `key`, checked like `settings_map`."""
    return settings_map(key, config.get_object(key), allowed)


def whole_number(key: str, value: Any, low: int, high: int) -> int:
    """An integer from `low` to `high` (YAML may give it as text)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(key, f"expected a whole number from {low} to {high}")
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(key, f"expected a whole number from {low} to {high}") from None
    if not low <= number <= high:
        raise ConfigError(key, f"{number} is outside {low}..{high}")
    return number


def true_or_false(key: str, value: Any) -> bool:
    """A boolean (YAML may give it as the text true or false)."""
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ConfigError(key, f"expected true or false, not {value!r}")


def cidr(key: str, value: Any, example: str = "10.0.0.0/16") -> str:
    """A network in CIDR notation, normalised."""
    try:
        return str(ipaddress.ip_network(str(value)))
    except ValueError:
        raise ConfigError(key, f"{value!r} is not a CIDR block such as {example}") from None


# RFC 5737's documentation ranges: a stack file's placeholder, never anyone's real address.
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)


def operator_cidrs(key: str, value: Any, *, prod: bool, empty_means: str) -> tuple[str, ...]:
    """The networks allowed to reach a cluster's API: CIDR blocks, normalised. A prod stack
    names them: an empty list (which means `empty_means`), a /0 or a documentation range (a
    placeholder that reaches nobody, so `pulumi up` could not reach the cluster it makes) is
    refused with the fix."""
    if value is not None and not isinstance(value, list):
        raise ConfigError(key, "expected a list of CIDR blocks")
    blocks = tuple(cidr(key, c, example="198.51.100.0/24") for c in value or [])
    if not prod:
        return blocks
    if not blocks:
        raise ConfigError(
            key,
            f"a prod stack names who may reach the cluster's API (an empty list is "
            f"{empty_means}): the egress ranges of your operators and of the CI that runs "
            "`pulumi up`",
        )
    for block in blocks:
        network = ipaddress.ip_network(block)
        if network.prefixlen == 0:
            raise ConfigError(key, f"{block} opens the cluster's API to the whole internet")
        placeholders = [d for d in DOCUMENTATION_NETWORKS if d.version == network.version]
        if any(network.subnet_of(doc) for doc in placeholders):  # type: ignore[arg-type]
            raise ConfigError(
                key,
                f"{block} is a documentation range (a placeholder that reaches nobody, so "
                "`pulumi up` could not reach the cluster): set your operators' and CI's ranges",
            )
    return blocks
