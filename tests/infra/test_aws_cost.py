"""`crowdsource cost` on the aws stacks: a dated price table applied to what each stack creates,
compared with the original platform's estimate."""

from __future__ import annotations

import json

import pytest

from infra.aws import prices
from infra.cost import SEED_MONTHLY_USD
from tests.infra.conftest import build_stack


def _estimate(cli, name: str) -> dict:
    result = cli.run("cost", "--stack", name, "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_shipped_prod_file_is_priced_with_a_stand_in_certificate(cli):
    # The placeholder ARN is refused by the program (pulumi up needs a real certificate); the
    # price does not depend on which certificate, so cost stands one in of the same region.
    result = cli.run("cost", "--stack", "aws-prod", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "total per month (USD)" in result.stdout


def test_prod_costs_about_what_the_original_platform_estimated(cli):
    estimate = _estimate(cli, "aws-prod")
    assert estimate["prices_as_of"] == prices.AS_OF
    low, high = SEED_MONTHLY_USD
    # Same shape as the seed (4-vCPU Multi-AZ database, WAF, EKS + Fargate, ALB): within a
    # quarter of its range.
    assert low * 0.75 <= estimate["total_usd"] <= high * 1.25
    lines = {line["item"]: line for line in estimate["lines"]}
    assert "Multi-AZ (2 instances)" in lines["RDS db.m7g.xlarge"]["basis"]
    assert lines["RDS db.m7g.xlarge"]["monthly_usd"] == pytest.approx(2 * 0.358 * 730)
    assert lines["NAT gateways"]["basis"].startswith("3 ×")
    assert lines["WAF web ACLs"]["basis"].startswith("2 ACLs × $5 + 8 rules")
    assert "3 pods (HPA minimum) billed at 2 vCPU / 4 GB" in lines["Fargate web pods"]["basis"]


def test_dev_costs_a_fraction_of_prod(cli):
    dev = _estimate(cli, "aws-dev")
    prod = _estimate(cli, "aws-prod")
    assert 150 <= dev["total_usd"] <= 0.4 * prod["total_usd"]
    items = {line["item"] for line in dev["lines"]}
    assert {"RDS db.t4g.medium", "EKS control plane 1.35", "NAT gateways"} <= items


def test_the_table_prints_every_priced_item_and_the_seed_comparison(cli):
    result = cli.run("cost", "--stack", "aws-dev", timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"prices: aws ap-south-1, list prices as of {prices.AS_OF}" in out
    for item in (
        "EKS control plane 1.35", "Fargate web pods", "Fargate system pods", "RDS db.t4g.medium",
        "RDS storage gp3", "NAT gateways", "Application Load Balancer", "WAF web ACLs",
        "CloudFront", "S3", "KMS keys", "CloudWatch Logs", "ECR", "total per month (USD)",
    ):  # fmt: skip
        assert item in out, item
    assert "the original platform estimated $1,100-1,200 a month on AWS" in out


@pytest.mark.parametrize(
    ("vcpu", "gib", "billed"),
    [(0.25, 0.25, (0.25, 0.5)), (0.25, 1, (0.25, 2)), (2, 2, (2, 4)), (1, 8, (2, 9))],
)
def test_fargate_bills_the_next_size_up_including_its_overhead(vcpu, gib, billed):
    assert prices.fargate_size(vcpu, gib) == billed


def test_a_version_past_standard_support_is_priced_at_the_extended_rate():
    cap = build_stack("aws-dev", cluster={"version": "1.33"})
    (line,) = [line for line in prices.price(cap) if line.item.startswith("EKS")]
    assert line.monthly_usd == pytest.approx(0.60 * 730)
    assert "EXTENDED" in line.basis


def test_alarms_logs_and_the_backup_copy_are_priced():
    prod = {line.item: line for line in prices.price(build_stack("aws-prod"))}
    alarms = prod["CloudWatch alarms"]
    # Six alarms; the error rate reads three metrics, the others one; one log-based metric.
    assert alarms.basis.startswith("6 alarms reading 8 metrics")
    assert alarms.monthly_usd == pytest.approx(8 * 0.10 + 0.30)
    assert prod["SNS alert e-mails"].monthly_usd == 0.0
    logs = prod["WAF and VPC flow logs"]
    assert logs.basis.startswith("2 WAF + 1 flow log destinations: 30 GB")
    assert prod["ALB access logs"].monthly_usd > 0
    copy = prod["RDS backup copy"]
    assert "100 GB in ap-south-2" in copy.basis
    assert copy.monthly_usd == pytest.approx(100 * (0.095 + 0.086))
    assert "KMS keys" in prod and prod["KMS keys"].basis.startswith("3 keys")  # + the copy's
    dev = {line.item for line in prices.price(build_stack("aws-dev"))}
    assert "RDS backup copy" not in dev
    assert {"CloudWatch alarms", "WAF and VPC flow logs", "ALB access logs"} <= dev


def test_the_price_table_is_dated_and_sourced():
    assert prices.AS_OF == "2026-12-07"
    assert any("sns" in source for source in prices.SOURCES)
    assert any("cloudwatch" in source for source in prices.SOURCES)
