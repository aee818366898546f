"""The security-relevant values of the k8s component (used by every target), each flipped by
`python -m infra.mutate --only k8s` (infra/mutate.py): every flip must make one of its tests
fail."""

from __future__ import annotations

from infra.mutate import Mutation

STACK = "tests/infra/test_k8s_stack.py"
NETWORK = "tests/infra/test_k8s_network.py"
TLS = "tests/infra/test_k8s_database_tls.py"
APP_ROLE = "tests/api/test_app_role.py"
SETTINGS = "tests/test_settings_database_tls.py"

_NETWORK = "infra/k8s/network.py"
_POSTGRES = "infra/k8s/postgres.py"
_WORKLOADS = "infra/k8s/workloads.py"
_MANIFESTS = "infra/k8s/manifests.py"
_CONFIG = "infra/k8s/config.py"
_ROLES = "app/db/roles.py"

MUTATIONS = (
    # -- NetworkPolicy peers -----------------------------------------------------------------
    Mutation(
        name="k8s: web pods accept connections from any namespace, not the ingress controller's",
        path=_NETWORK,
        old="    if sources is None:\n        sources = [",
        new='    if sources is None:\n        sources = [{"namespaceSelector": {}}] or [',
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: app pods may reach any address on the database port",
        path=_NETWORK,
        old='"to": [{"ipBlock": {"cidr": cidr}} for cidr in args.database.cidrs],',
        new='"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],',
        tests=(NETWORK,),
    ),
    Mutation(
        name="k8s: DNS egress to every namespace instead of kube-system",
        path=_NETWORK,
        old='"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}',
        new='"matchLabels": {}',
        tests=(NETWORK,),
    ),
    Mutation(
        name="k8s: in-cluster PostgreSQL accepts any pod",
        path=_POSTGRES,
        old='"ingress": [\n                {\n                    "from": [',
        new=(
            '"ingress": [\n                {\n                    "from": [{"podSelector": {}}]'
            " or ["
        ),
        tests=(NETWORK,),
    ),
    Mutation(
        name="k8s: in-cluster PostgreSQL may open connections anywhere",
        path=_POSTGRES,
        old='"egress": [],',
        new='"egress": [{}],',
        tests=(NETWORK,),
    ),
    Mutation(
        name="k8s: the namespace no longer enforces the restricted Pod Security Standard",
        path=_MANIFESTS,
        old='"pod-security.kubernetes.io/enforce": "restricted",',
        new='"pod-security.kubernetes.io/enforce": "privileged",',
        tests=(NETWORK,),
    ),
    # -- pod security context ----------------------------------------------------------------
    Mutation(
        name="k8s: app containers get a writable root filesystem",
        path=_WORKLOADS,
        old='"readOnlyRootFilesystem": True,',
        new='"readOnlyRootFilesystem": False,',
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: app pods may run as root",
        path=_WORKLOADS,
        old='"runAsNonRoot": True,\n        "runAsUser": uid,',
        new='"runAsNonRoot": False,\n        "runAsUser": uid,',
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: app containers keep their Linux capabilities",
        path=_WORKLOADS,
        old='"capabilities": {"drop": ["ALL"]},',
        new='"capabilities": {"drop": []},',
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: app containers may escalate privileges",
        path=_WORKLOADS,
        old='"allowPrivilegeEscalation": False,',
        new='"allowPrivilegeEscalation": True,',
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: app pods mount a service-account token",
        path=_WORKLOADS,
        old='"automountServiceAccountToken": False,',
        new='"automountServiceAccountToken": True,',
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: the service account hands out its token",
        path=_MANIFESTS,
        old='"automountServiceAccountToken": False,',
        new='"automountServiceAccountToken": True,',
        tests=(STACK,),
    ),
    # -- TLS to the database -----------------------------------------------------------------
    Mutation(
        name="k8s: the stack's sslmode does not reach the pods (require instead)",
        path=_MANIFESTS,
        old='"DB_SSLMODE": db.sslmode,',
        new='"DB_SSLMODE": "require",',
        tests=(TLS,),
    ),
    Mutation(
        name="k8s: DB_SSLROOTCERT no longer names the mounted CA",
        path=_MANIFESTS,
        old='env["DB_SSLROOTCERT"] = DB_CA_FILE',
        new="pass",
        tests=(TLS,),
    ),
    Mutation(
        name="k8s: the CA is no longer mounted into the pods",
        path=_WORKLOADS,
        old='mounts.append({"name": "db-ca", "mountPath": DB_CA_DIR, "readOnly": True})',
        new="pass",
        tests=(TLS,),
    ),
    Mutation(
        name="k8s: the CA is mounted writable",
        path=_WORKLOADS,
        old='"mountPath": DB_CA_DIR, "readOnly": True}',
        new='"mountPath": DB_CA_DIR, "readOnly": False}',
        tests=(TLS,),
    ),
    Mutation(
        name="k8s: the system CAs without SSL_CERT_FILE (psycopg's OpenSSL finds none)",
        path=_MANIFESTS,
        old='env["SSL_CERT_FILE"] = SYSTEM_CA_FILE',
        new="pass",
        tests=(TLS,),
    ),
    Mutation(
        name="k8s: verify-full without a CA is accepted",
        path=_CONFIG,
        old="if sslmode in VERIFYING_SSLMODES and pem is None and rootcert is None:",
        new="if False:",
        tests=(TLS,),
    ),
    Mutation(
        name="k8s: app: DB_SSLROOTCERT is ignored when building the database URL",
        path="app/settings.py",
        old='"sslrootcert": env.text("DB_SSLROOTCERT")',
        new='"sslrootcert": None',
        tests=(SETTINGS,),
    ),
    # -- least privilege ---------------------------------------------------------------------
    Mutation(
        name="k8s: web pods get the owner's password",
        path=_MANIFESTS,
        old='return {"DB_PASS": login(args).web_password,',
        new='return {"DB_PASS": login(args).owner_password,',
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: web pods log in as the owner",
        path=_MANIFESTS,
        old='"DB_USER": login(args).web_user,\n            "DB_SSLMODE": db.sslmode,',
        new='"DB_USER": db.user,\n            "DB_SSLMODE": db.sslmode,',
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: web pods get the owner's login in their env",
        path=_WORKLOADS,
        old="        extra=container_extra,\n    )",
        new=(
            "        extra=container_extra,\n"
            "        env=owner_env(args, with_app_password=False),\n    )"
        ),
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: the refresh CronJob also gets the app role's password",
        path=_WORKLOADS,
        old="env=owner_env(args, with_app_password=False),",
        new="env=owner_env(args, with_app_password=True),",
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: a new app-role password neither reruns the Job nor rolls the web pods",
        path="infra/k8s/component.py",
        old="checksum = pulumi.Output.all(settings, _login_digest(args)).apply(",
        new='checksum = pulumi.Output.all(settings, "").apply(',
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: the migration Job no longer makes the app role",
        path=_WORKLOADS,
        old='["crowdsource", "db", "grant-app-role", "--role", app_user],',
        new='["crowdsource", "migrate", "up"],',
        tests=(STACK,),
    ),
    Mutation(
        name="k8s: app role: ALL on tables (TRUNCATE, REFERENCES, TRIGGER)",
        path=_ROLES,
        old="GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};",
        new="GRANT ALL ON ALL TABLES IN SCHEMA public TO {role};",
        tests=(APP_ROLE,),
    ),
    Mutation(
        name="k8s: app role: later migrations' tables get ALL by default",
        path=_ROLES,
        old="    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};",
        new="    GRANT ALL ON TABLES TO {role};",
        tests=(APP_ROLE,),
    ),
    Mutation(
        name="k8s: app role: no default privileges for later migrations' tables",
        path=_ROLES,
        old="    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};",
        new="    GRANT SELECT ON TABLES TO {role};",
        tests=(APP_ROLE,),
    ),
    Mutation(
        name="k8s: app role: the app may write schema_migrations",
        path=_ROLES,
        old='READ_ONLY_TABLES = ("schema_migrations",)',
        new="READ_ONLY_TABLES = ()",
        tests=(APP_ROLE,),
    ),
    Mutation(
        name="k8s: app role: made with CREATEROLE",
        path=_ROLES,
        old='"CREATE ROLE {} LOGIN PASSWORD {}"',
        new='"CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}"',
        tests=(APP_ROLE,),
    ),
    Mutation(
        name="k8s: app role: an existing role's memberships are not checked",
        path=_ROLES,
        old="            if member_of:",
        new="            if False:",
        tests=(APP_ROLE,),
    ),
    Mutation(
        name="k8s: app role: any role name is accepted",
        path=_ROLES,
        old='_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")',
        new='_ROLE_NAME = re.compile(r"^.*$")',
        tests=(APP_ROLE,),
    ),
)
