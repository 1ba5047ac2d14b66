"""Who a CLI command acts as: a stored user, never a typed role (issue 14, "identity is never
typed").

A command names its user with ``--as USERNAME`` or the ``ARREARS_USER`` environment variable
(``--as`` wins). Role, agency and staff link come from the store's users table, exactly as a
signed-in browser's would; an unknown or deactivated user is one line on stderr, exit 2, and
nothing is written. The principal's ``actor`` (``user:NAME``) is what the audit trail records.

Adopting it in a command (the whole API is the names below)::

    from arrears.cli import identity

    @app.command("approve")
    def approve(plan_id: int, user: identity.AsUser = None) -> None:
        with unit_of_work() as session:
            principal = identity.require(session, user, "plan.approve")
            plan_service.approve(session=session, plan_id=plan_id, actor=principal.actor)

- ``AsUser``: the ``--as`` option as a type (``user: identity.AsUser = None``), or
  ``principal_option()`` for the ``user: str | None = identity.principal_option()`` style.
- ``resolve(session, username) -> Principal``: the stored, active user.
- ``require(session, username, permission, *or_permissions) -> Principal``: a user must be given
  and hold the permission (or one of the alternatives; ``NotPermitted``, exit 1, otherwise).
- ``on_case(session, username, permission, work_order_id) -> Principal``: ``require``, and the
  case must be within the user's case scope (``NotFound`` otherwise, as on the web).
- ``optional(session, username, permission) -> Principal | None``: for commands a scheduler runs
  unattended: no user means ``None``, and ``actor(None)`` is ``system``.
- ``actor(principal) -> str``: ``user:NAME``, or ``system`` without a user.

Commands that take a user resolve it before anything else, so a refused identity writes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from arrears.auth.policy import Principal
from arrears.auth.service import principal_for
from arrears.kit.errors import BadInput, NotPermitted
from arrears.workforce.scoping import visible_work_order

ENV_VAR = "ARREARS_USER"
# The actor of a command run without a user (a nightly scheduler): named as such in the audit.
SYSTEM = "system"


HELP = "Act as this stored user: role and scope come from the store."


def principal_option(help_text: str = HELP) -> Any:
    """The ``--as USERNAME`` option (read from ``ARREARS_USER`` when not typed), for the
    ``user: str | None = identity.principal_option()`` style of declaring options."""
    return typer.Option(
        None, "--as", envvar=ENV_VAR, show_envvar=True, metavar="USERNAME", help=help_text
    )


# The same option for the ``Annotated`` style (Typer refuses a default inside ``Annotated``).
AsUser = Annotated[
    str | None,
    typer.Option("--as", envvar=ENV_VAR, show_envvar=True, metavar="USERNAME", help=HELP),
]


def resolve(session: Session, username: str) -> Principal:
    """The stored, active user ``username``; ``BadInput`` (exit 2) if unknown or deactivated."""
    return principal_for(session=session, username=username)


def require(
    session: Session, username: str | None, permission: str, *or_permissions: str
) -> Principal:
    """The acting user, who must be given and hold ``permission`` (or one of ``or_permissions``)."""
    if username is None or not username.strip():
        raise BadInput(f"--as USERNAME (or {ENV_VAR}) is required: who does this ({permission})?")
    return _permitted(resolve(session, username), permission, *or_permissions)


def on_case(
    session: Session, username: str | None, permission: str, work_order_id: int
) -> Principal:
    """The acting user, who must hold ``permission`` and see case ``work_order_id`` in their
    case scope (a case outside it is "no case N", exit 1, as on the web)."""
    principal = require(session, username, permission)
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return principal


def optional(session: Session, username: str | None, permission: str) -> Principal | None:
    """The acting user if one is given (then they must hold ``permission``); ``None`` runs the
    command as ``system``."""
    if username is None or not username.strip():
        return None
    return _permitted(resolve(session, username), permission)


def actor(principal: Principal | None) -> str:
    """How the audit trail and run records name who acted."""
    return principal.actor if principal is not None else SYSTEM


def _permitted(principal: Principal, permission: str, *or_permissions: str) -> Principal:
    if not any(principal.can(p) for p in (permission, *or_permissions)):
        raise NotPermitted(
            f"user {principal.username!r} ({principal.role}) may not {permission}: ask a user "
            "whose role may"
        )
    return principal
