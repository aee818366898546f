"""Policy checks: rules every stack must meet, as plain validator functions.

The same functions run in pytest on a captured stack (infra/capture.py) and, through the pack in
infra/policy_pack/, as a Pulumi policy pack: `pulumi preview --policy-pack infra/policy_pack`.
A check receives a resource's inputs as the engine sees them (camelCase, secrets revealed) and
returns what is wrong, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.capture import Capture


@dataclass(frozen=True)
class Resource:
    """A resource as a stack-level check sees it."""

    type: str
    name: str
    props: dict[str, Any]


ResourceCheck = Callable[[dict[str, Any]], str | None]
StackCheck = Callable[[Sequence[Resource]], Iterable[str]]


@dataclass(frozen=True)
class Policy:
    """One rule. Either `check` (per resource of `resource_types`) or `check_stack` (across
    all resources, for rules such as "every bucket has a public access block")."""

    name: str
    description: str
    resource_types: tuple[str, ...] = ()
    check: ResourceCheck | None = None
    check_stack: StackCheck | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.policy}: {self.resource}: {self.message}"


def resources_of(capture: Capture) -> list[Resource]:
    return [Resource(r.type, r.name, r.plain_inputs) for r in capture.resources]


def evaluate(resources: Sequence[Resource], policies: Iterable[Policy]) -> list[Violation]:
    """Every violation of `policies` among `resources`."""
    found: list[Violation] = []
    for policy in policies:
        if policy.check is not None:
            for resource in resources:
                if resource.type in policy.resource_types:
                    message = policy.check(resource.props)
                    if message:
                        found.append(Violation(policy.name, resource.name, message))
        if policy.check_stack is not None:
            for message in policy.check_stack(resources):
                found.append(Violation(policy.name, "stack", message))
    return found


def check_capture(capture: Capture, policies: Iterable[Policy]) -> list[Violation]:
    return evaluate(resources_of(capture), policies)
