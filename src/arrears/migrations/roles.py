"""The application's PostgreSQL role: least privilege, never the owner of the tables.

Two roles in production (docs/operations.md):
- the **owner** runs ``arrears db upgrade`` and ``arrears db roles``; it owns every table, so it
  alone could ALTER, DROP or DISABLE TRIGGER, and it is used for nothing else;
- the **application role** (``arrears_app`` by default) is what ``ARREARS_DATABASE_URL`` names for
  the workbench, the API, imports and the cycle: SELECT, INSERT, UPDATE, DELETE on the domain
  tables, only SELECT and INSERT on ``audit_event``, SELECT on ``alembic_version``, USAGE on the
  sequences, CONNECT and TEMPORARY (the bulk loads stage rows in temporary tables) on the
  database. Not a superuser, cannot create roles, databases or tables in the schema.

:func:`statements` is the SQL, the same whether printed (``--print-sql``) or run; running it twice
leaves the same grants (privileges are revoked, then granted, in one transaction).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from sqlalchemy import Connection, text

from arrears.kit.errors import BadInput, RuleRefused

DEFAULT_ROLE = "arrears_app"
APPEND_ONLY = ("audit_event",)  # SELECT, INSERT: the audit trail is never changed or emptied
READ_ONLY = ("alembic_version",)  # the schema's revision: the owner moves it, the app reads it
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_name(name: str) -> str:
    """A role name we can write into SQL unquoted-safe: lower case letters, digits, underscore."""
    if not _NAME.fullmatch(name):
        raise BadInput(
            f"role name {name!r}: use lower-case letters, digits and _ (at most 63, not a digit "
            "first)"
        )
    return name


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802/7677), so the
    password itself never reaches the server, its logs or a printed script (what psql's
    ``\\password`` does)."""
    if not password or "\x00" in password:
        raise BadInput("the password must be non-empty text without NUL characters")
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def statements(*, role: str, tables: list[str], verifier: str | None) -> list[str]:
    """The SQL that creates (or brings back into line) the application role ``role``."""
    role = check_name(role)
    attrs = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
    domain = sorted(t for t in tables if t not in APPEND_ONLY + READ_ONLY)
    sql = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role} {attrs}; END IF; END $$",
        f"ALTER ROLE {role} {attrs}",
    ]
    if verifier is not None:
        sql.append(f"ALTER ROLE {role} PASSWORD '{verifier}'")
    sql += [
        # Granted to PUBLIC by default; given explicitly in case a DBA revoked them.
        f"DO $$ BEGIN IF NOT has_database_privilege('{role}', current_database(), "
        "'CONNECT, TEMPORARY') THEN EXECUTE 'GRANT CONNECT, TEMPORARY ON DATABASE ' || "
        f"quote_ident(current_database()) || ' TO {role}'; END IF; END $$",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}",
    ]
    if domain:
        sql.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(domain)} TO {role}")
    sql += [f"GRANT SELECT, INSERT ON {t} TO {role}" for t in APPEND_ONLY if t in tables]
    sql += [f"GRANT SELECT ON {t} TO {role}" for t in READ_ONLY if t in tables]
    sql.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    return sql


def tables_of(conn: Connection) -> list[str]:
    """The tables of the store's schema (every branch's, whatever has been migrated)."""
    return sorted(
        conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        ).scalars()
    )


def role_exists(conn: Connection, role: str) -> bool:
    return bool(
        conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    )


def refuse_owner(conn: Connection, role: str) -> None:
    """The application role must not be the one that owns (and so could unlock) the tables."""
    if conn.execute(text("SELECT current_user")).scalar() == role:
        raise RuleRefused(
            f"{role} is the role running this command (the owner): the application role must be "
            "another one"
        )
    owned = conn.execute(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"),
        {"r": role},
    ).scalar()
    if owned:
        raise RuleRefused(
            f"{role} owns {owned} table(s) here; the application role must own none (the owner "
            "could disable the audit trail's triggers)"
        )


def grants(conn: Connection, role: str) -> dict[str, list[str]]:
    """What ``role`` may do on each table, as PostgreSQL reports it."""
    rows = conn.execute(
        text(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = :r AND table_schema = 'public' ORDER BY table_name, privilege_type"
        ),
        {"r": role},
    ).all()
    found: dict[str, list[str]] = {}
    for table, privilege in rows:
        found.setdefault(table, []).append(privilege)
    return found
