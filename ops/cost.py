"""`crowdsource cost --stack NAME`: what a stack would cost a month, offline.

Runs the stack's program under Pulumi's mocks, prices what it creates with the cloud's dated
price table (infra/<cloud>/prices.py) and compares it with the original platform's estimate.
"""

from __future__ import annotations

import importlib
import json

import click

from ops.stacks import capture_stack, load_stack_file

# Costs do not depend on secret values: stand-ins let stacks whose secrets are unset build.
PLACEHOLDER_SECRETS = {
    "crowdsource:databasePassword": "placeholder",
    "crowdsource:secretKey": "placeholder",
}


@click.command()
@click.option("--stack", "stack_name", required=True, help="Stack name: Pulumi.<NAME>.yaml.")
@click.option("--json", "as_json", is_flag=True, help="Print the estimate as JSON.")
def cost(stack_name: str, as_json: bool) -> None:
    """Estimate the monthly cost of a stack (USD, list prices, no network needed)."""
    stack = load_stack_file(stack_name)
    # Nor on the placeholders a shipped file holds for its adopter (infra/stand_ins.py).
    from infra.stand_ins import stand_ins

    captured = capture_stack(stack, {**PLACEHOLDER_SECRETS, **stand_ins(stack.config)})
    from infra.cost import SEED_MONTHLY_USD, CostLine, total, web_pods

    pods = web_pods(captured)
    lines: list[CostLine] = []
    if stack.target == "k8s":
        table = None
    else:
        table = importlib.import_module(f"infra.{stack.target}.prices").TABLE
        lines = table.price(captured)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "stack": stack_name,
                    "target": stack.target,
                    "prices_as_of": table.as_of if table else None,
                    "lines": [line.__dict__ for line in lines],
                    "total_usd": total(lines),
                    "seed_usd": list(SEED_MONTHLY_USD),
                },
                indent=2,
            )
        )
        return
    click.echo(
        f"stack {stack_name} (target {stack.target}): web pods {pods.vcpu:g} vCPU / "
        f"{_memory(pods.memory_gib)} each, {pods.min_replicas}-{pods.max_replicas} replicas"
    )
    if table is None:
        click.echo(
            "The k8s target runs on a cluster you already pay for: reserve "
            f"{pods.vcpu * pods.min_replicas:g}-{pods.vcpu * pods.max_replicas:g} vCPU and "
            f"{_memory(pods.memory_gib * pods.min_replicas)}-"
            f"{_memory(pods.memory_gib * pods.max_replicas)} for the web pods."
        )
        return
    width = max(len(line.item) for line in lines)
    click.echo(f"prices: {table.cloud} {table.region}, list prices as of {table.as_of}")
    for line in lines:
        click.echo(f"  {line.item:<{width}}  {line.monthly_usd:>9,.2f}  {line.basis}")
    click.echo(f"  {'total per month (USD)':<{width}}  {total(lines):>9,.2f}")
    low, high = SEED_MONTHLY_USD
    click.echo(
        f"the original platform estimated ${low:,}-{high:,} a month on AWS "
        "(RDS 4 vCPU $400, WAF $30, EKS + Fargate $300, ELB $150, others $200)"
    )


def _memory(gib: float) -> str:
    """250 MiB rather than 0.244141 GiB."""
    return f"{gib:.3g} GiB" if gib >= 1 else f"{gib * 1024:.0f} MiB"
