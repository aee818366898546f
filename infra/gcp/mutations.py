"""The security-relevant values of the gcp program, each flipped by `python -m infra.mutate
--only gcp` (infra/mutate.py): every flip must make one of its tests fail."""

from __future__ import annotations

from infra.mutate import Mutation

STACK = "tests/infra/test_gcp_stack.py"
POLICIES = "tests/infra/test_gcp_policies.py"
FIRST_UP = "tests/infra/test_gcp_first_up.py"
HARDENING = "tests/infra/test_gcp_hardening.py"
ALERTING = "tests/infra/test_gcp_alerting.py"

_IAM = "infra/gcp/iam.py"
_BUCKETS = "infra/gcp/buckets.py"
_DATABASE = "infra/gcp/database.py"
_SETTINGS = "infra/gcp/settings.py"
_CLUSTER = "infra/gcp/cluster.py"
_STACK = "infra/gcp/stack.py"
_MONITORING = "infra/gcp/monitoring.py"

MUTATIONS = (
    # -- dependencies ------------------------------------------------------------------------
    Mutation(
        name="gcp: the Workload Identity member no longer waits for the cluster",
        path=_IAM,
        old="pulumi.ResourceOptions(depends_on=[cluster])",
        new="pulumi.ResourceOptions()",
        tests=(FIRST_UP,),
    ),
    Mutation(
        name="gcp: the app's settings no longer wait for the database user",
        path=_STACK,
        old="host=after(sql.instance.private_ip_address, sql.database, sql.user),",
        new="host=sql.instance.private_ip_address,",
        tests=(FIRST_UP,),
    ),
    Mutation(
        name="gcp: the app's settings no longer wait for the bucket grants",
        path=_STACK,
        old="bucket=after(buckets.recordings.name, *identity.grants),",
        new="bucket=buckets.recordings.name,",
        tests=(FIRST_UP,),
    ),
    # -- public access -----------------------------------------------------------------------
    Mutation(
        name="gcp: the recordings bucket no longer enforces public access prevention",
        path=_BUCKETS,
        old='public_access_prevention="enforced",',
        new='public_access_prevention="inherited",',
        tests=(STACK,),
    ),
    Mutation(
        name="gcp: Cloud SQL gets a public IP",
        path=_DATABASE,
        old="ipv4_enabled=False,  # no public IP at all",
        new="ipv4_enabled=True,",
        tests=(STACK,),
    ),
    Mutation(
        name="gcp: GKE nodes get public IPs",
        path=_CLUSTER,
        old="enable_private_nodes=True,",
        new="enable_private_nodes=False,",
        tests=(STACK,),
    ),
    # -- CORS ---------------------------------------------------------------------------------
    Mutation(
        name="gcp: the dashboard's CORS origin is any site",
        path=_BUCKETS,
        old="origins=[settings.app_origin],",
        new='origins=["*"],',
        tests=(HARDENING,),
    ),
    Mutation(
        name="gcp: the dashboard's CORS origin is another site",
        path=_SETTINGS,
        old='return f"https://{self.domain}"',
        new='return f"https://{self.cdn_domain}"',
        tests=(HARDENING,),
    ),
    # -- IAM ----------------------------------------------------------------------------------
    Mutation(
        name="gcp: the app's bucket role is storage.admin",
        path=_IAM,
        old='role="roles/storage.objectAdmin",',
        new='role="roles/storage.admin",',
        tests=(STACK,),
    ),
    Mutation(
        name="gcp: the Workload Identity role is token creator",
        path=_IAM,
        old='role="roles/iam.workloadIdentityUser",',
        new='role="roles/iam.serviceAccountTokenCreator",',
        tests=(STACK,),
    ),
    Mutation(
        name="gcp: the Workload Identity member is another ServiceAccount",
        path=_IAM,
        old='member=f"serviceAccount:{settings.project}.svc.id.goog[{namespace}/{APP_NAME}]",',
        new='member=f"serviceAccount:{settings.project}.svc.id.goog[{namespace}/default]",',
        tests=(STACK,),
    ),
    Mutation(
        name="gcp: the nodes' account is a project editor",
        path=_IAM,
        old='NODE_ROLE = "roles/container.defaultNodeServiceAccount"',
        new='NODE_ROLE = "roles/editor"',
        tests=(STACK,),
    ),
    # -- encryption in transit ----------------------------------------------------------------
    Mutation(
        name="gcp: Cloud SQL accepts unencrypted connections",
        path=_DATABASE,
        old='SSL_MODE = "ENCRYPTED_ONLY"',
        new='SSL_MODE = "ALLOW_UNENCRYPTED_AND_ENCRYPTED"',
        tests=(HARDENING,),
    ),
    Mutation(
        name="gcp: Cloud SQL signs with a CA shared across the region",
        path=_DATABASE,
        old='SERVER_CA_MODE = "GOOGLE_MANAGED_INTERNAL_CA"',
        new='SERVER_CA_MODE = "GOOGLE_MANAGED_CAS_CA"',
        tests=(HARDENING,),
    ),
    Mutation(
        name="gcp: the pods stop verifying the server (sslmode require)",
        path=_DATABASE,
        old='SSLMODE = "verify-ca"',
        new='SSLMODE = "require"',
        tests=(HARDENING,),
    ),
    Mutation(
        name="gcp: the pods check the host name against the private IP (verify-full)",
        path=_DATABASE,
        old='SSLMODE = "verify-ca"',
        new='SSLMODE = "verify-full"',
        tests=("tests/infra/test_gcp_database_tls.py",),
    ),
    Mutation(
        name="gcp: the server CA no longer reaches the pods",
        path=_STACK,
        old="ca_certificate=sql.ca_certificate,",
        new="ca_certificate=None,",
        tests=(HARDENING,),
    ),
    Mutation(
        name="gcp: the web pods log in as the instance's owner",
        path=_STACK,
        old="sslmode=SSLMODE,",
        new="sslmode=SSLMODE, app_user=None,",
        tests=(HARDENING,),
    ),
    # -- the cluster's API endpoint (CIDRs) ---------------------------------------------------
    # The rules are shared with AWS (infra/config_values.operator_cidrs).
    Mutation(
        name="gcp: prod accepts 0.0.0.0/0 for the API endpoint (the shared rule)",
        path="infra/config_values.py",
        old="        if network.prefixlen == 0:",
        new="        if network.prefixlen < 0:",
        tests=(HARDENING,),
    ),
    Mutation(
        name="gcp: prod accepts a documentation range, a placeholder (the shared rule)",
        path="infra/config_values.py",
        old="if any(network.subnet_of(doc) for doc in placeholders):",
        new="if False:",
        tests=(HARDENING,),
    ),
    Mutation(
        name="gcp: the configured authorized networks do not reach GKE",
        path=_SETTINGS,
        old='"gcp.authorizedNetworks", value, prod=prod,',
        new='"gcp.authorizedNetworks", ["0.0.0.0/0"], prod=False,',
        tests=(HARDENING,),
    ),
    Mutation(
        name="gcp: every Google Cloud address may reach the API endpoint",
        path=_CLUSTER,
        old="gcp_public_cidrs_access_enabled=False,",
        new="gcp_public_cidrs_access_enabled=True,",
        tests=(HARDENING,),
    ),
    # -- backups ------------------------------------------------------------------------------
    Mutation(
        name="gcp: backups stay wherever Cloud SQL puts them (no cross-region location)",
        path=_DATABASE,
        old="location=sql.backup_location,",
        new="location=None,",
        tests=(HARDENING,),
    ),
    Mutation(
        name="gcp: point-in-time recovery off",
        path=_DATABASE,
        old="point_in_time_recovery_enabled=True,",
        new="point_in_time_recovery_enabled=False,",
        tests=(STACK,),
    ),
    # -- logs and alerting -------------------------------------------------------------------
    Mutation(
        name="gcp: the project's logs are kept a day",
        path="infra/gcp/logs.py",
        old="retention_days=settings.log_retention_days,",
        new="retention_days=1,",
        tests=(ALERTING,),
    ),
    Mutation(
        name="gcp: the error-rate alert fires on a trickle of traffic",
        path=_MONITORING,
        old='f" and {all_requests} > {alerting.MIN_REQUEST_RATE:g}"',
        new='""',
        tests=(ALERTING,),
    ),
    Mutation(
        name="gcp: the database CPU alert compares a fraction with a percentage",
        path=_MONITORING,
        old="alerting.DATABASE_CPU_PERCENT, SQL_CPU, alerting.DATABASE_CPU_PERCENT.value / 100",
        new="alerting.DATABASE_CPU_PERCENT, SQL_CPU, alerting.DATABASE_CPU_PERCENT.value",
        tests=(ALERTING,),
    ),
)
