"""Request dependencies every router uses: the database session (the commit boundary), the
signed-in principal and permission checks.

Use the ``Annotated`` aliases in routes::

    from arrears.auth.dependencies import DbSession, CurrentUser, require

    @router.post("/cases/{work_order_id}/promises")
    def take_promise(
        work_order_id: int,
        body: PromiseCreate,
        session: DbSession,
        principal: Principal = Depends(require("case.work")),
    ) -> PromiseOut: ...

``DbSession`` commits when the route returns and rolls back when it raises, before the response
is sent (so a failed commit is an error response, never a 200). Services only flush. A route
that turns a domain error into a normal response (e.g. a form re-rendered with the message) must
call ``session.rollback()`` itself if the service had flushed anything.

Authentication happens once, in ``AuthMiddleware`` (session cookie or ``Authorization: Bearer``
token); CSRF is checked by an app-wide dependency for every unsafe method of a cookie session.
Permission names are those of ``arrears.auth.policy.PERMISSIONS``; a typo fails at import time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from arrears.auth.policy import PERMISSIONS, Principal
from arrears.kit.errors import NotAuthenticated, NotPermitted


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: commit on success, roll back on any error. It is the session
    the auth middleware opened for a signed-in request (one transaction), or a new one."""
    session: Session = (
        getattr(request.state, "db_session", None) or request.app.state.session_factory()
    )
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session, scope="function")]


# The dependencies below only read what the middleware resolved: ``async def`` keeps them on the
# event loop, where a sync one would cost a thread-pool hop (and a GIL wait under load) each.
def _principal(request: Request) -> Principal | None:
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else None


async def optional_user(request: Request) -> Principal | None:
    """The signed-in principal, or None for an anonymous request."""
    return _principal(request)


async def current_user(request: Request) -> Principal:
    """The signed-in principal; 401 (API) or a redirect to sign-in (pages) otherwise."""
    principal = _principal(request)
    if principal is None:
        raise NotAuthenticated("sign in first")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]
OptionalUser = Annotated[Principal | None, Depends(optional_user)]


def require(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that returns the principal if its role holds ``permission``, else 403."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    async def dependency(principal: CurrentUser) -> Principal:
        if not principal.can(permission):
            raise NotPermitted(f"your role ({principal.role}) may not {permission}")
        return principal

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    return dependency


def require_any(*permissions: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Like ``require`` but any one of ``permissions`` suffices."""
    for permission in permissions:
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}")

    async def dependency(principal: CurrentUser) -> Principal:
        if not any(principal.can(p) for p in permissions):
            raise NotPermitted(f"your role ({principal.role}) may not {' or '.join(permissions)}")
        return principal

    return dependency
