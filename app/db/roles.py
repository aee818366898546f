"""The app's least-privilege database role: what the web app may do, and nothing more.

The migration Job connects as the owner of the schema (on a managed database, often the master
user), applies the migrations, then calls `grant_app_role`: the web pods log in as the role it
makes, so a flaw in the web app cannot drop, alter or empty a table, read the role catalogue's
passwords or make roles. Materialized views are refreshed by their owner (the refresh job).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.errors import CrowdsourceError

# A role name we make: a plain lower-case identifier, the same with or without quotes.
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Tables whose rows only migrations write: the app reads them, never changes them.
READ_ONLY_TABLES = ("schema_migrations",)

# What the web app needs in the schema, on the objects there now and (default privileges) on
# those the owner's later migrations make. Everything else stays the owner's: DROP, ALTER and
# TRUNCATE need ownership or the TRUNCATE privilege, neither of which is granted.
_GRANTS = """
GRANT CONNECT ON DATABASE {database} TO {role};
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role};
ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO {role};
ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA public
    GRANT EXECUTE ON FUNCTIONS TO {role};
"""
# PostgreSQL before 15 lets every role create objects in `public`; the app must not. (A no-op,
# with a warning at most, where PUBLIC has no CREATE or the owner cannot revoke it.)
_NO_CREATE = "REVOKE CREATE ON SCHEMA public FROM PUBLIC"

_ROLE = """
SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls AS powerful,
       ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
             WHERE m.member = r.oid ORDER BY 1) AS member_of
FROM pg_roles r
WHERE rolname = %(role)s
"""


class RoleRefused(CrowdsourceError):
    """The app role cannot be made as asked (a bad name, a role with more rights than the
    app's); nothing was changed."""

    code = "role_refused"
    exit_code = 2


@dataclass(frozen=True)
class AppRole:
    name: str
    created: bool  # False: it existed, its password and grants were set again


def check_role_name(name: str) -> str:
    """`name` if it is a plain identifier (a-z, 0-9, _; at most 63); RoleRefused otherwise."""
    if not _ROLE_NAME.match(name):
        raise RoleRefused(
            f"{name!r} is not a plain role name (lower-case letters, digits and _, at most 63)"
        )
    return name


def grant_app_role(url: str, role: str, password: str) -> AppRole:
    """Create `role` (LOGIN) or set its password again, and grant it what the web app needs in
    the database of `url`, connected as the schema's owner; one transaction, safe to repeat.

    The password travels as a SCRAM verifier made here, so no statement log shows it.
    Raises RoleRefused for a bad name, an empty password, the owner's own name, or an existing
    role with powers (superuser, CREATEROLE…) or memberships the app must not have, and when
    the login lacks a right it needs (CREATEROLE, ownership).
    """
    check_role_name(role)
    if not password:
        raise RoleRefused("the app role needs a password (it is empty)")
    try:
        return _grant(url, role, password)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise RoleRefused(
            f"the login may not do this ({exc.diag.message_primary}): connect as the owner of "
            "the database's tables, with CREATEROLE"
        ) from None


def _grant(url: str, role: str, password: str) -> AppRole:
    ident = sql.Identifier(role)
    with psycopg.connect(url) as conn:  # one transaction, committed on leaving the block
        owner, database = conn.execute("SELECT current_user, current_database()").fetchone()  # type: ignore[misc]
        if role == owner:
            raise RoleRefused(f"{role} is the owner this command connects as, not an app role")
        existing = conn.execute(_ROLE, {"role": role}).fetchone()
        if existing is not None:
            powerful, member_of = existing
            if powerful:
                raise RoleRefused(
                    f"role {role} exists with powers beyond the app's (superuser, createrole, "
                    "createdb, replication or bypassrls): remove them or choose another name"
                )
            if member_of:
                raise RoleRefused(
                    f"role {role} is a member of {', '.join(member_of)} and would inherit its "
                    "rights: revoke the membership or choose another name"
                )
        verifier = conn.pgconn.encrypt_password(password.encode(), role.encode()).decode()
        make = (
            "ALTER ROLE {} WITH LOGIN PASSWORD {}"
            if existing
            else "CREATE ROLE {} LOGIN PASSWORD {}"
        )
        conn.execute(sql.SQL(make).format(ident, sql.Literal(verifier)))
        conn.execute(sql.SQL(_GRANTS).format(database=sql.Identifier(database), role=ident))
        for table in READ_ONLY_TABLES:
            if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() != (None,):
                conn.execute(
                    sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}").format(
                        sql.Identifier(table), ident
                    )
                )
        conn.execute(_NO_CREATE)
    return AppRole(role, created=existing is None)
