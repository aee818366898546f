"""`crowdsource cost` prices the gcp stacks from the dated table in infra/gcp/prices.py."""

from __future__ import annotations

import json

import pytest

from infra.gcp.prices import TABLE, autopilot_pod, sql_shape


def _estimate(cli, name: str) -> dict:
    result = cli.run("cost", "--stack", name, "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _lines(estimate: dict) -> dict[str, float]:
    return {line["item"]: line["monthly_usd"] for line in estimate["lines"]}


def test_the_cost_command_prints_a_table_and_a_total_for_gcp_prod(cli):
    result = cli.run("cost", "--stack", "gcp-prod", timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "web pods 2 vCPU / 2 GiB each, 3-20 replicas" in out
    assert f"prices: gcp asia-south1, list prices as of {TABLE.as_of}" in out
    for item in ("GKE cluster management fee", "Cloud SQL db-custom-4-16384", "Cloud Armor"):
        assert item in out
    assert "total per month (USD)" in out
    assert "the original platform estimated $1,100-1,200 a month on AWS" in out


def test_gcp_prod_costs_about_what_the_original_platform_did(cli):
    estimate = _estimate(cli, "gcp-prod")
    assert estimate["target"] == "gcp" and estimate["prices_as_of"] == TABLE.as_of
    # Same order of magnitude as the seed's $1,100-1,200 on AWS, for the same sizes.
    assert 700 <= estimate["total_usd"] <= 1400
    lines = _lines(estimate)
    assert lines["GKE cluster management fee"] == 73.0
    # REGIONAL doubles the database: 2 × (4 vCPU + 16 GB) a month.
    sql = lines["Cloud SQL db-custom-4-16384: vCPU + memory"]
    assert sql == pytest.approx(2 * (4 * 0.0496 + 16 * 0.0084) * 730, abs=0.01)
    # 3 pods (the HPA minimum) × 2 vCPU.
    assert lines["GKE Autopilot web pods: vCPU"] == pytest.approx(3 * 2 * 0.0535 * 730, abs=0.01)
    for item in (
        "Cloud SQL SSD storage",
        "Cloud NAT",
        "Load balancer forwarding rules",
        "Cloud Armor policies and rules",
        "Cloud Armor requests",
        "Cloud CDN (dashboard JSON)",
        "Cloud Storage (recordings; dashboard JSON is tiny)",
        "Artifact Registry",
    ):
        assert lines[item] > 0, item
    assert sum(lines.values()) == pytest.approx(estimate["total_usd"], abs=0.05)


def test_the_alert_policies_are_priced_per_condition(cli):
    lines = _lines(_estimate(cli, "gcp-prod"))
    # Six rules, one condition each: 6 × $1.50, plus 6 × 86,400 series × $0.35 per million.
    assert lines["Cloud Monitoring alert policies"] == pytest.approx(
        6 * 1.50 + 6 * 86_400 / 1e6 * 0.35, abs=0.01
    )
    assert lines["Log-based metric (dashboard refresh)"] == 0
    # 20 GiB a month is within the free 50; 90 days keeps each GiB two months longer.
    assert lines["Cloud Logging (ingestion and retention)"] == pytest.approx(20 * 2 * 0.01)


def test_gcp_dev_is_a_fraction_of_prod(cli):
    dev, prod = _estimate(cli, "gcp-dev"), _estimate(cli, "gcp-prod")
    assert 100 <= dev["total_usd"] <= prod["total_usd"] / 2
    lines = _lines(dev)
    # A ZONAL 1-vCPU database, billed once.
    sql = lines["Cloud SQL db-custom-1-3840: vCPU + memory"]
    assert sql == pytest.approx((0.0496 + 3.75 * 0.0084) * 730, abs=0.01)
    # Autopilot bills the 250Mi pod as 0.5 GiB, its minimum.
    assert lines["GKE Autopilot web pods: memory"] == pytest.approx(0.5 * 0.0059 * 730, abs=0.01)


def test_the_price_table_is_dated_and_sourced():
    assert TABLE.region == "asia-south1"
    assert TABLE.as_of == "2026-12-07"
    assert all(source.startswith("https://cloud.google.com/") for source in TABLE.sources)


@pytest.mark.parametrize(
    ("requested", "billed"),
    [((0.25, 0.25), (0.25, 0.5)), ((0.3, 1.0), (0.5, 1.0)), ((2, 2), (2, 2)), ((1, 0.5), (1, 1))],
)
def test_autopilot_rounds_pods_up_to_what_it_bills(requested, billed):
    assert autopilot_pod(*requested) == billed


def test_an_unknown_sql_tier_is_refused_by_name():
    assert sql_shape("db-custom-2-7680") == (2.0, 7.5)
    with pytest.raises(ValueError, match="db-perf-optimized-N-8"):
        sql_shape("db-perf-optimized-N-8")
