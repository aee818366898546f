"""The policy pack: `pulumi preview --policy-pack infra/policy_pack`. Only wiring: the rules are
plain functions (infra/*/policies.py) that the tests also run on captured stacks."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from infra.policies import ALL_POLICIES
from infra.policy import Policy, Resource


def _resource_policy(policy: Policy) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type in policy.resource_types and policy.check is not None:
            message = policy.check(dict(args.props))
            if message:
                report(message, None)

    return ResourceValidationPolicy(policy.name, policy.description, validate)


def _stack_policy(policy: Policy) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        assert policy.check_stack is not None
        resources = [Resource(r.resource_type, r.name, dict(r.props)) for r in args.resources]
        for message in policy.check_stack(resources):
            report(message, None)

    return StackValidationPolicy(policy.name, policy.description, validate)


PolicyPack(
    "crowdsource",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        _resource_policy(p) if p.check is not None else _stack_policy(p) for p in ALL_POLICIES
    ],
)
