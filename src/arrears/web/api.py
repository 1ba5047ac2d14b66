"""The web domain's own JSON routes: who am I, users (admin), API tokens, the workbench view."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel

from arrears.auth import repository as auth_repo
from arrears.auth import service as auth_service
from arrears.auth.policy import POLICY, Principal
from arrears.auth.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    Me,
    UserCreate,
    UserCreated,
    UserOut,
    UserUpdate,
)
from arrears.auth.scoping import visible_work_order
from arrears.web import workbench
from arrears.web.case_actions import reassign_bound
from arrears.web.deps import CurrentUser, DbSession, require
from arrears.web.repository import QueueFilter
from arrears.web.schemas import CaseView, QueuePage, Unmasked, UnmaskRequest
from arrears.workforce import allocation_service as workforce_service
from arrears.workforce.schemas import Reassignment, ReassignRequest

router = APIRouter()


class NextCase(BaseModel):
    work_order_id: int | None


@router.get("/me", response_model=Me, tags=["auth"])
def me(principal: CurrentUser) -> Me:
    """The caller: role, agency, language and the permissions the role holds."""
    return Me(
        id=principal.user_id,
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        agency_id=principal.agency_id,
        locale=principal.locale,
        permissions=sorted(POLICY.get(principal.role, frozenset())),
    )


@router.get("/users", response_model=list[UserOut], tags=["users"])
def list_users(
    session: DbSession, _: Principal = Depends(require("users.manage"))
) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in auth_repo.list_users(session)]


@router.post(
    "/users", response_model=UserCreated, status_code=status.HTTP_201_CREATED, tags=["users"]
)
def create_user(
    body: UserCreate, session: DbSession, principal: Principal = Depends(require("users.manage"))
) -> UserCreated:
    """Create a user; the password (given or generated) is returned once."""
    user, password = auth_service.create_user(session=session, data=body, actor=principal.actor)
    return UserCreated(user=UserOut.model_validate(user), password=password)


@router.get("/users/{user_id}", response_model=UserOut, tags=["users"])
def get_user(
    user_id: int, session: DbSession, _: Principal = Depends(require("users.manage"))
) -> UserOut:
    return UserOut.model_validate(auth_service.get_user(session=session, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"])
def update_user(
    user_id: int,
    body: UserUpdate,
    session: DbSession,
    principal: Principal = Depends(require("users.manage")),
) -> UserOut:
    """Change role, agency, staff link, language or deactivate (ends the user's sessions)."""
    user = auth_service.update_user(
        session=session, user_id=user_id, data=body, actor=principal.actor
    )
    return UserOut.model_validate(user)


@router.post("/users/{user_id}/reset-password", response_model=UserCreated, tags=["users"])
def reset_password(
    user_id: int, session: DbSession, principal: Principal = Depends(require("users.manage"))
) -> UserCreated:
    """Generate a new password (returned once) and end the user's sessions."""
    password = auth_service.reset_password(session=session, user_id=user_id, actor=principal.actor)
    user = auth_service.get_user(session=session, user_id=user_id)
    return UserCreated(user=UserOut.model_validate(user), password=password)


@router.get("/tokens", response_model=list[ApiTokenOut], tags=["auth"])
def list_tokens(
    session: DbSession, principal: Principal = Depends(require("tokens.manage"))
) -> list[ApiTokenOut]:
    """The caller's own API tokens (never their secrets)."""
    return [
        ApiTokenOut.model_validate(t) for t in auth_repo.api_tokens_of(session, principal.user_id)
    ]


@router.post(
    "/tokens", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED, tags=["auth"]
)
def issue_token(
    body: ApiTokenCreate,
    session: DbSession,
    principal: Principal = Depends(require("tokens.manage")),
) -> ApiTokenCreated:
    """A bearer token acting as the caller; the secret is shown once and stored hashed."""
    token, secret = auth_service.issue_api_token(
        session=session,
        user_id=principal.user_id,
        name=body.name,
        days=body.days,
        actor=principal.actor,
    )
    return ApiTokenCreated(token=ApiTokenOut.model_validate(token), secret=secret)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def revoke_token(
    token_id: int, session: DbSession, principal: Principal = Depends(require("tokens.manage"))
) -> None:
    auth_service.revoke_api_token(
        session=session, user_id=principal.user_id, token_id=token_id, actor=principal.actor
    )


# --- the workbench view (the actions on a case are the domains' own routes) ------------------


@router.get("/workbench/queue", response_model=QueuePage, tags=["workbench"])
def queue(
    session: DbSession,
    principal: Principal = Depends(require("queue.read")),
    bucket: str | None = None,
    level: str | None = None,
    status: str | None = None,
    search: str | None = Query(default=None, max_length=64),
    view: Literal["mine", "escalated"] = "mine",
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0),
) -> QueuePage:
    """The caller's open cases in priority order, within the role's scope, with filters."""
    flt = QueueFilter(
        bucket=bucket,
        level=level,
        status=status,
        search=search,
        view=None if view == "mine" else view,
    )
    return workbench.queue_page(
        session=session, principal=principal, flt=flt, limit=limit, offset=offset
    )


@router.get("/workbench/next", response_model=NextCase, tags=["workbench"])
def next_case(
    session: DbSession, principal: Principal = Depends(require("queue.read"))
) -> NextCase:
    """The case to work next (highest priority due today), or null when the queue is done."""
    return NextCase(work_order_id=workbench.next_case(session=session, principal=principal))


@router.get("/workbench/cases/{work_order_id}", response_model=CaseView, tags=["workbench"])
def case(
    work_order_id: int,
    session: DbSession,
    principal: Principal = Depends(require("case.read")),
) -> CaseView:
    """Profile, accounts with the owed breakdown, and the timeline; personal data masked."""
    return workbench.case_view(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
    )


@router.post("/workbench/cases/{work_order_id}/unmask", response_model=Unmasked, tags=["workbench"])
def unmask(
    work_order_id: int,
    body: UnmaskRequest,
    session: DbSession,
    principal: Principal = Depends(require("pii.unmask")),
) -> Unmasked:
    """Reveal one masked field; every reveal is written to the audit trail."""
    return workbench.unmask(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        field=body.field,
        item_id=body.item_id,
    )


@router.post(
    "/cases/{work_order_id}/reassign",
    response_model=Reassignment,
    tags=["cases"],
)
def reassign_case(
    work_order_id: int,
    body: ReassignRequest,
    session: DbSession,
    principal: Principal = Depends(require("case.reassign")),
) -> Reassignment:
    """Move one case to another collector: a team lead, within their team, under the
    allocator's eligibility and capacity rules. Closed or placed cases are a 409."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return workforce_service.reassign(
        session=session,
        work_order_id=work_order_id,
        to_staff=body.to_staff,
        reason=body.reason,
        actor=principal.actor,
        within_team_of=reassign_bound(principal),
    )
