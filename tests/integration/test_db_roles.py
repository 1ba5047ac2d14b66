"""`arrears db roles`: the application connects as a role that owns nothing and cannot touch the
audit trail beyond appending to it. PostgreSQL; on SQLite the command explains what holds."""

from __future__ import annotations

import base64
import itertools
import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from arrears.kit.db import engine_for, make_engine
from arrears.migrations import roles
from arrears.portfolio.synth import synth
from tests.integration.import_state import arrears

_counter = itertools.count()


@pytest.fixture
def pg_url(db_url: str) -> str:
    if not db_url.startswith("postgresql"):
        pytest.skip("roles and grants are PostgreSQL's (SQLite: see test_roles_on_sqlite)")
    return db_url


@pytest.fixture
def app_role(pg_url: str) -> Iterator[str]:
    """A fresh role name (roles are cluster-wide); dropped with whatever it was granted."""
    name = f"arrears_app_t{os.getpid()}_{next(_counter)}"
    yield name
    engine_for.cache_clear()
    owner = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        if roles.role_exists(conn, name):
            conn.execute(sa.text(f"DROP OWNED BY {name}"))
            conn.execute(sa.text(f"DROP ROLE {name}"))
    owner.dispose()


def as_role(url: str, role: str) -> str:
    return sa.make_url(url).set(username=role, password="app-secret").render_as_string(False)


def test_roles_on_sqlite_says_what_holds(db_url: str, cli: Any) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's answer")
    res = cli("db", "roles", "--password", "x")
    assert res.exit_code == 1
    said = " ".join(res.stderr.split())
    assert "SQLite has no roles" in said
    assert "no TRUNCATE" in said


def test_the_role_gets_only_what_the_application_needs(
    pg_url: str, app_role: str, cli: Any
) -> None:
    res = cli("db", "roles", "--name", app_role, "--password", "app-secret", "--json")
    assert res.exit_code == 0, res.stderr
    grants = json.loads(res.stdout)["grants"]
    assert grants["audit_event"] == ["INSERT", "SELECT"]
    assert grants["alembic_version"] == ["SELECT"]
    assert grants["work_order"] == ["DELETE", "INSERT", "SELECT", "UPDATE"]
    assert not any("TRUNCATE" in p or "TRIGGER" in p for p in grants.values())
    again = cli("db", "roles", "--name", app_role, "--json")  # idempotent, password kept
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["grants"] == grants
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        attrs = conn.execute(
            sa.text(
                "SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolpassword "
                "FROM pg_authid WHERE rolname = :r"
            ),
            {"r": app_role},
        ).one()
        owned = conn.execute(
            sa.text("SELECT count(*) FROM pg_tables WHERE tableowner = :r"), {"r": app_role}
        ).scalar()
    engine.dispose()
    assert attrs[:4] == (False, False, False, True)
    assert attrs[4].startswith("SCRAM-SHA-256$4096:")  # a verifier, never the password
    assert owned == 0


def test_the_application_works_as_the_role_and_cannot_touch_the_audit_trail(
    pg_url: str, app_role: str, cli: Any, tmp_path: Path
) -> None:
    assert cli("db", "roles", "--name", app_role, "--password", "app-secret").exit_code == 0
    app_url = as_role(pg_url, app_role)
    extract = tmp_path / "synth"
    synth(accounts=200, seed=3, out=extract, as_of=date(2026, 11, 1), fmt="csv")
    wh = tmp_path / "warehouse.duckdb"
    imported = arrears(app_url, wh, "import", "portfolio", str(extract))
    assert imported.returncode == 0, imported.stderr
    cycle = arrears(app_url, wh, "cycle", "run", "--as-of", "2026-11-01", "--json")
    assert cycle.returncode == 0, cycle.stderr
    assert json.loads(cycle.stdout)["accounts"] == 200

    engine = make_engine(app_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            who = conn.execute(sa.text("SELECT current_user")).scalar()
            events = conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar()
            assert who == app_role
            assert events  # the import and the cycle appended to it
            for statement, refusal in [
                ("UPDATE audit_event SET actor = 'x'", "permission denied"),
                ("DELETE FROM audit_event", "permission denied"),
                ("TRUNCATE audit_event", "permission denied"),
                ("ALTER TABLE audit_event DISABLE TRIGGER ALL", "must be owner"),
                ("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change", "must be owner"),
                ("DROP TRIGGER audit_event_no_truncate ON audit_event", "must be owner"),
                ("DROP TABLE audit_event", "must be owner"),
                ("CREATE TABLE public.mine (id int)", "permission denied"),
                ("SET session_replication_role = replica", "permission denied"),
            ]:
                with pytest.raises(sa.exc.DatabaseError, match=refusal):
                    conn.execute(sa.text(statement))
            assert conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar() == events
    finally:
        engine.dispose()


def test_print_sql_changes_nothing(pg_url: str, app_role: str, cli: Any) -> None:
    res = cli("db", "roles", "--name", app_role, "--print-sql")
    assert res.exit_code == 0, res.stderr
    assert f"GRANT SELECT, INSERT ON audit_event TO {app_role};" in res.stdout
    assert "TRUNCATE" not in res.stdout
    assert f"\\password {app_role}" in res.stdout
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        assert not roles.role_exists(conn, app_role)
    engine.dispose()


def test_the_owner_cannot_be_the_application_role(pg_url: str, cli: Any) -> None:
    res = cli("db", "roles", "--name", "postgres", "--password", "x")
    assert res.exit_code == 1
    assert "must be another one" in " ".join(res.stderr.split())
    bad = cli("db", "roles", "--name", "app; DROP TABLE x", "--password", "x")
    assert bad.exit_code == 2


def test_the_verifier_is_the_one_postgresql_computes(pg_url: str, app_role: str) -> None:
    """Let the server hash a password, then compute ours with its salt: the same bytes."""
    engine = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("SET password_encryption = 'scram-sha-256'"))
        conn.execute(sa.text(f"CREATE ROLE {app_role} LOGIN PASSWORD 'pencil-42'"))
        stored = conn.execute(
            sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": app_role}
        ).scalar_one()
    engine.dispose()
    iterations, salt = stored.split("$")[1].split(":")
    ours = roles.scram_verifier(
        "pencil-42", salt=base64.b64decode(salt), iterations=int(iterations)
    )
    assert ours == stored
