"""A copy of prod's automated backups in another region (RDS automated backup replication),
encrypted with a key of that region; dev keeps none."""

from __future__ import annotations

import pytest

from infra.config_values import ConfigError
from infra.stacks import load_stack
from tests.infra.conftest import ROOT, build_stack

REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
KMS = "aws:kms/key:Key"


def test_prod_copies_its_backups_to_the_configured_region(stack):
    rds = load_stack(ROOT, "aws-prod").config["crowdsource:rds"]
    cap = stack("aws-prod")
    copy = cap.one(REPLICATION).plain_inputs
    region = rds["backupCopyRegion"]
    assert region != "ap-south-1"
    assert copy["region"] == region
    assert copy["sourceDbInstanceArn"] == cap.one("aws:rds/instance:Instance").outputs["arn"]
    assert copy["retentionPeriod"] == rds["backupCopyRetentionDays"]
    key = cap.one(KMS, "backup-copy-key")
    assert key.plain_inputs["region"] == region and key.plain_inputs["enableKeyRotation"]
    assert copy["kmsKeyId"] == key.outputs["arn"] and f":kms:{region}:" in copy["kmsKeyId"]


def test_dev_keeps_no_backup_copy(stack):
    cap = stack("aws-dev")
    assert cap.of_type(REPLICATION) == []
    assert not [r for r in cap.of_type(KMS) if r.name.endswith("backup-copy-key")]


@pytest.mark.parametrize("region", ["ap-south-1", "mars-1"])
def test_a_backup_region_must_be_another_aws_region(region):
    rds = dict(load_stack(ROOT, "aws-prod").config["crowdsource:rds"])
    with pytest.raises(ConfigError, match=r"crowdsource:rds\.backupCopyRegion"):
        build_stack("aws-prod", rds={**rds, "backupCopyRegion": region})
