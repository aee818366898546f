"""The security-relevant values of the AWS program, each flipped by
`python -m infra.mutate --only aws` (infra/mutate.py): every flip must make one of its tests
fail. The last run's output is in docs/deploy.md ("AWS", "Mutation check")."""

from __future__ import annotations

from infra.mutate import Mutation

STACK = "tests/infra/test_aws_stack.py"
SECURITY = "tests/infra/test_aws_security.py"
CONFIG = "tests/infra/test_aws_config.py"
IAM = "tests/infra/test_aws_iam.py"
ORDERING = "tests/infra/test_aws_ordering.py"
POD_SECURITY = "tests/infra/test_aws_pod_security.py"
TLS = "tests/infra/test_aws_database_tls.py"
ALARMS = "tests/infra/test_aws_alarms.py"
LOGS = "tests/infra/test_aws_logs.py"
BACKUP = "tests/infra/test_aws_backup_copy.py"

_STACK = "infra/aws/stack.py"
_SETTINGS = "infra/aws/settings.py"
_CONFIG_VALUES = "infra/config_values.py"
_CLUSTER = "infra/aws/cluster.py"
_DATABASE = "infra/aws/database.py"
_BUCKETS = "infra/aws/buckets.py"
_CDN = "infra/aws/cdn.py"
_IAM = "infra/aws/iam.py"
_POLICY_FILE = "infra/aws/lb_controller_iam_policy.json"
_ALARMS = "infra/aws/alarms.py"
_LOGS = "infra/aws/logs.py"

MUTATIONS = (
    # -- public access and network reach ------------------------------------------------------
    Mutation(
        name="aws: the database is publicly accessible",
        path=_DATABASE,
        old="publicly_accessible=False,",
        new="publicly_accessible=True,",
        tests=(SECURITY,),
    ),
    Mutation(
        name="aws: the database admits the cluster security group (every pod), not the app's",
        path=_STACK,
        old="RdsPostgresArgs(settings, network, app_pods.id)",
        new="RdsPostgresArgs(settings, network, cluster.security_group_id)",
        tests=(STACK,),
    ),
    Mutation(
        name="aws: the app's pods lose their own security group",
        path=_STACK,
        old="policy_manifest([app_pods.id, cluster.security_group_id])",
        new="policy_manifest([cluster.security_group_id])",
        tests=(POD_SECURITY,),
    ),
    Mutation(
        name="aws: the app's pods may start before their SecurityGroupPolicy",
        path="infra/k8s/component.py",
        old="            settled.append(self._create(suffix, manifest, base))",
        new="            self._create(suffix, manifest, base)",
        tests=(POD_SECURITY,),
    ),
    # The rules for who may reach a cluster's API are shared by both clouds
    # (infra/config_values.operator_cidrs); infra/gcp/mutations.py flips them against GCP's.
    Mutation(
        name="aws: prod accepts an API endpoint open to 0.0.0.0/0",
        path=_CONFIG_VALUES,
        old="        if network.prefixlen == 0:",
        new="        if network.prefixlen < 0:",
        tests=(CONFIG,),
    ),
    Mutation(
        name="aws: prod accepts an empty endpoint CIDR list (EKS: everyone)",
        path=_CONFIG_VALUES,
        old="    if not blocks:",
        new="    if False:",
        tests=(CONFIG,),
    ),
    Mutation(
        name="aws: prod accepts a documentation range, a placeholder",
        path=_CONFIG_VALUES,
        old="if any(network.subnet_of(doc) for doc in placeholders):",
        new="if False:",
        tests=(CONFIG,),
    ),
    Mutation(
        name="aws: the configured endpoint CIDRs do not reach EKS",
        path=_CLUSTER,
        old='"public_access_cidrs": list(access.public_access_cidrs),',
        new='"public_access_cidrs": ["0.0.0.0/0"],',
        tests=(CONFIG,),
    ),
    Mutation(
        name="aws: the recordings bucket allows a public bucket policy",
        path=_BUCKETS,
        old="block_public_policy=True,",
        new="block_public_policy=False,",
        tests=(SECURITY,),
    ),
    Mutation(
        name="aws: the dashboard data's CORS admits another site",
        path=_CDN,
        old='origins = [f"https://{settings.domain}"] if settings.domain else ["*"]',
        new='origins = ["https://evil.example.com"] if settings.domain else ["*"]',
        tests=(SECURITY,),
    ),
    Mutation(
        name="aws: anyone may write into the ALB log bucket",
        path=_LOGS,
        old='"Principal": {"AWS": elb_account},',
        new='"Principal": "*",',
        tests=(LOGS,),
    ),
    # -- encryption and TLS -------------------------------------------------------------------
    Mutation(
        name="aws: the database's storage is not encrypted",
        path=_DATABASE,
        old="storage_encrypted=True,",
        new="storage_encrypted=False,",
        tests=(SECURITY,),
    ),
    Mutation(
        name="aws: Kubernetes Secrets are not envelope-encrypted",
        path=_CLUSTER,
        old='"resources": ["secrets"],',
        new='"resources": [],',
        tests=(STACK,),
    ),
    Mutation(
        name="aws: the app does not verify the database's certificate",
        path=_STACK,
        old='sslmode="verify-full",',
        new='sslmode="require",',
        tests=(TLS,),
    ),
    Mutation(
        name="aws: the web pods log in as the RDS master user",
        path=_STACK,
        old="ca_certificate=ca_bundle(),",
        new="ca_certificate=ca_bundle(), app_user=None,",
        tests=(TLS,),
    ),
    Mutation(
        name="aws: a placeholder certificate ARN is accepted",
        path=_SETTINGS,
        old='return set(match["account"]) == {"0"} or set(match["id"]) <= {"0", "-"}',
        new="return False",
        tests=(CONFIG,),
    ),
    # -- IAM ----------------------------------------------------------------------------------
    Mutation(
        name="aws: the controller policy loses SetWebAcl",
        path=_POLICY_FILE,
        old='"elasticloadbalancing:SetWebAcl",\n',
        new="",
        tests=(IAM,),
    ),
    Mutation(
        name="aws: the controller policy loses SetRulePriorities",
        path=_POLICY_FILE,
        old=',\n                "elasticloadbalancing:SetRulePriorities"',
        new="",
        tests=(IAM,),
    ),
    Mutation(
        name="aws: the app may do anything to the recordings bucket",
        path=_IAM,
        old='"Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],',
        new='"Action": ["s3:*"],',
        tests=(SECURITY,),
    ),
    # -- dependencies -------------------------------------------------------------------------
    Mutation(
        name="aws: the app no longer waits for the controller add-ons",
        path=_STACK,
        old="depends_on=[addons, logs.alb_bucket_policy],",
        new="depends_on=[logs.alb_bucket_policy],",
        tests=(ORDERING,),
    ),
    Mutation(
        name="aws: the app no longer waits for the ALB log bucket's policy",
        path=_STACK,
        old="depends_on=[addons, logs.alb_bucket_policy],",
        new="depends_on=[addons],",
        tests=(LOGS,),
    ),
    # -- protection and recovery --------------------------------------------------------------
    Mutation(
        name="aws: the prod cluster has no deletion protection",
        path=_CLUSTER,
        old="deletion_protection=access.deletion_protection,",
        new="deletion_protection=False,",
        tests=(CONFIG,),
    ),
    Mutation(
        name="aws: no cross-region backup copy",
        path=_DATABASE,
        old="self._backup_copy(name, settings) if rds.backup_copy_region else None",
        new="None",
        tests=(BACKUP,),
    ),
    # -- alerting and logs --------------------------------------------------------------------
    Mutation(
        name="aws: the error-rate alarm's threshold is not the shared one",
        path=_ALARMS,
        old="threshold=HIGH_ERROR_RATE.value,",
        new="threshold=0.5,",
        tests=(ALARMS,),
    ),
    Mutation(
        name="aws: a missing refresh metric does not alarm",
        path=_ALARMS,
        old='treat_missing_data="breaching",',
        new='treat_missing_data="notBreaching",',
        tests=(ALARMS,),
    ),
    Mutation(
        name="aws: the CloudFront WAF logs outside us-east-1",
        path=_LOGS,
        old='("cdn", args.cdn_web_acl_arn, CLOUDFRONT_REGION),',
        new='("cdn", args.cdn_web_acl_arn, None),',
        tests=(LOGS,),
    ),
)
