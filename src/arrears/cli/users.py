"""`arrears users`: the stored users a command acts as (``--as USERNAME`` or ``ARREARS_USER``).

Adding and disabling a user needs a user who may manage users (an admin). The one exception is
the first one: while no active user may manage users, ``users add NAME admin`` runs
without ``--as`` (as ``system``), so that a new installation can name its first admin.
"""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.cli import _workforce as w
from arrears.cli import identity
from arrears.cli.output import console

app = typer.Typer(help="Users: who a command or a sign-in acts as.", no_args_is_help=True)

COLUMNS = ("username", "display_name", "role", "staff", "agency", "locale", "active")
MANAGE = "users.manage"


@app.command()
def add(
    username: str = typer.Argument(..., help="Sign-in name (a-z, 0-9, _ . -)."),
    role: str = typer.Argument(..., help="The new user's role (stored; not yours)."),
    name: str = typer.Option("", "--name", help="Display name."),
    staff: str | None = typer.Option(None, "--staff", help="Their staff code (collectors, leads)."),
    agency: str | None = typer.Option(None, "--agency", help="Agency code (agency users)."),
    locale: str = typer.Option("zh-CN", "--locale", help="en or zh-CN."),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Add a user; the generated password is shown once (only its hash is stored)."""
    from arrears.auth import schemas
    from arrears.auth import service as auth_service
    from arrears.auth.policy import ROLES
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import BadInput

    if role not in ROLES:
        raise BadInput(f"ROLE: {role!r} is not a role; one of {', '.join(ROLES)}")
    with unit_of_work() as session:
        by = _manager(session, user, role)
        data = w.build(
            schemas.UserCreate,
            username=username.strip(),
            display_name=name,
            role=role,
            staff_id=_staff_id(session, staff),
            agency_id=_agency_id(session, agency),
            locale=locale,
        )
        created, password = auth_service.create_user(session=session, data=data, actor=by)
        row = _row(session, created)
    if as_json:
        w.emit({**row, "password": password}, as_json, COLUMNS)
        return
    w.emit(row, as_json, COLUMNS)
    console.print(f"password (shown once, only its hash is stored): {password}", highlight=False)


@app.command("list")
def list_(as_json: bool = w.JSON) -> None:
    """Every user: role, staff and agency links, active or not."""
    from arrears.auth import repository
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        rows = [_row(session, u) for u in repository.list_users(session)]
    w.emit(rows, as_json, COLUMNS)


@app.command()
def disable(
    username: str,
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Deactivate a user: their sessions end and no command may act as them any more."""
    from arrears.auth import repository, schemas
    from arrears.auth import service as auth_service
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import NotFound, RuleRefused

    with unit_of_work() as session:
        me = identity.require(session, user, MANAGE)
        found = repository.user_by_username(session, username.strip())
        if found is None:
            raise NotFound(f"no user {username.strip()!r}")
        if found.id == me.user_id:
            raise RuleRefused("you may not disable yourself: ask another admin")
        changed = auth_service.update_user(
            session=session,
            user_id=found.id,
            data=schemas.UserUpdate(active=False),
            actor=me.actor,
        )
        row = _row(session, changed)
    w.emit(row, as_json, COLUMNS)


def _manager(session: Session, user: str | None, role: str) -> str:
    """Who adds the user: a user who may manage users or, for the first admin only, nobody."""
    from arrears.auth import repository
    from arrears.auth.policy import can

    if user is not None and user.strip():
        return identity.require(session, user, MANAGE).actor
    managers = [u for u in repository.list_users(session) if u.active and can(u.role, MANAGE)]
    if not managers and role == "admin":
        return identity.SYSTEM
    return identity.require(session, user, MANAGE).actor  # refuses: names --as


def _staff_id(session: Session, code: str | None) -> int | None:
    from arrears.kit.errors import BadInput
    from arrears.workforce import repository

    if code is None:
        return None
    found = repository.staff_by_code(session, code.strip())
    if found is None:
        raise BadInput(f"--staff: no staff member {code.strip()!r}")
    return found.id


def _agency_id(session: Session, code: str | None) -> int | None:
    from arrears.kit.errors import BadInput
    from arrears.workforce import repository

    if code is None:
        return None
    found = repository.agency_by_code(session, code.strip())
    if found is None:
        raise BadInput(f"--agency: no agency {code.strip()!r}")
    return found.id


def _row(session: Session, user: User) -> dict[str, object]:
    from arrears.workforce.models import Agency, Staff

    staff = session.get(Staff, user.staff_id) if user.staff_id is not None else None
    agency = session.get(Agency, user.agency_id) if user.agency_id is not None else None
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "staff": staff.code if staff is not None else None,
        "agency": agency.code if agency is not None else None,
        "locale": user.locale,
        "active": user.active,
    }
