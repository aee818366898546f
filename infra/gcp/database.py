"""Cloud SQL for PostgreSQL 16: private IP only, TLS required, backups with point-in-time
recovery, REGIONAL (a standby in another zone) and deletion protection where config says so."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from infra.gcp.component import children_of
from infra.gcp.network import Network
from infra.gcp.settings import GcpSettings

DATABASE_NAME = "crowdsource"
DATABASE_USER = "crowdsource"
# How the pods check the server: its certificate must chain to the instance's own CA.
# Not verify-full: with the per-instance CA, the server certificate names the instance
# (CN "<project>:<instance>") and carries no subject alternative name for its private IP, the
# host the pods connect to, so libpq's host-name check would fail. verify-ca is as strict
# here, because SERVER_CA_MODE makes that CA sign this one instance's certificate and nothing
# else: no other server can present a certificate that passes.
SSLMODE = "verify-ca"
SERVER_CA_MODE = "GOOGLE_MANAGED_INTERNAL_CA"
# TLS on every connection; client certificates are not required (the app has none: it
# authenticates with its password, over the verified TLS channel).
SSL_MODE = "ENCRYPTED_ONLY"


@dataclass(frozen=True)
class CloudSqlArgs:
    settings: GcpSettings
    network: Network  # the private service access peering gives the instance its IP
    labels: Mapping[str, str]  # the stack's default labels (they do not reach `settings`)


class CloudSqlPostgres(pulumi.ComponentResource):
    """The instance, the app's database and its owner with a generated password."""

    instance: gcp.sql.DatabaseInstance
    database: gcp.sql.Database
    user: gcp.sql.User
    password: pulumi.Output[str]  # secret: generated once, kept encrypted in the stack state
    # PEM of the server CA certificates (during a CA rotation, the old and the new one).
    ca_certificate: pulumi.Output[str]

    def __init__(self, name: str, args: CloudSqlArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("crowdsource:gcp:CloudSqlPostgres", name, None, opts)
        self._build(name, args, children_of(self, opts))
        self.register_outputs(
            {"connectionName": self.instance.connection_name, "database": self.database.name}
        )

    def _build(self, name: str, args: CloudSqlArgs, opts: pulumi.ResourceOptions) -> None:
        settings, network, labels = args.settings, args.network, args.labels
        sql = settings.sql
        instance = gcp.sql.DatabaseInstance(
            f"{name}-sql",
            # No fixed name: Cloud SQL reserves a deleted instance's name for a week, so a
            # destroy-and-recreate would fail. Pulumi adds a random suffix.
            database_version="POSTGRES_16",
            region=settings.region,
            # Pulumi's own guard against deleting the instance (prod) …
            deletion_protection=settings.deletion_protection,
            settings=gcp.sql.DatabaseInstanceSettingsArgs(
                # PostgreSQL 16 defaults to Enterprise Plus, which has no custom tiers:
                # say ENTERPRISE.
                edition="ENTERPRISE",
                tier=sql.tier,
                availability_type=sql.availability,
                disk_type="PD_SSD",
                disk_size=sql.disk_size_gb,
                disk_autoresize=True,
                # … and Google's, which also stops deletion from the console or gcloud.
                deletion_protection_enabled=settings.deletion_protection,
                ip_configuration=gcp.sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=False,  # no public IP at all
                    private_network=network.vpc.id,
                    ssl_mode=SSL_MODE,
                    server_ca_mode=SERVER_CA_MODE,
                ),
                backup_configuration=gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(
                    enabled=True,
                    start_time="20:30",  # UTC: 02:00 in India, the quietest hour
                    point_in_time_recovery_enabled=True,
                    transaction_log_retention_days=7,
                    # Another region (prod): the backups outlive a regional outage of the instance.
                    location=sql.backup_location,
                    backup_retention_settings=gcp.sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                        retained_backups=sql.backups_retained, retention_unit="COUNT"
                    ),
                ),
                maintenance_window=gcp.sql.DatabaseInstanceSettingsMaintenanceWindowArgs(
                    day=7, hour=21, update_track="stable"
                ),
                insights_config=gcp.sql.DatabaseInstanceSettingsInsightsConfigArgs(
                    query_insights_enabled=True,
                    record_application_tags=True,
                    record_client_address=False,  # contributors' addresses are not ours to keep
                ),
                database_flags=[
                    gcp.sql.DatabaseInstanceSettingsDatabaseFlagArgs(
                        name="log_min_duration_statement", value=str(sql.slow_query_ms)
                    ),
                    gcp.sql.DatabaseInstanceSettingsDatabaseFlagArgs(
                        name="max_connections", value=str(sql.max_connections)
                    ),
                ],
                # The provider's default labels do not reach this nested field: repeat them.
                user_labels={**labels, "component": "database"},
            ),
            # The private IP needs the peering to exist first.
            opts=pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(depends_on=[network.service_connection])
            ),
        )
        database = gcp.sql.Database(
            f"{name}-db", name=DATABASE_NAME, instance=instance.name, opts=opts
        )
        password = random.RandomPassword(f"{name}-db-password", length=32, special=False, opts=opts)
        user = gcp.sql.User(
            f"{name}-db-user",
            name=DATABASE_USER,
            instance=instance.name,
            # RandomPassword marks `result` secret: it stays encrypted in the state and the plan.
            password=password.result,
            # The database first: the user is dropped before it on destroy.
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[database])),
        )
        ca_certificate = instance.server_ca_certs.apply(
            lambda certs: "".join(c.cert.strip() + "\n" for c in certs or [] if c.cert)
        )
        self.instance, self.database, self.user = instance, database, user
        self.password = password.result
        self.ca_certificate = ca_certificate
