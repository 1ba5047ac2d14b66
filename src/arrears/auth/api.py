"""JSON routes of the auth domain: who am I, users (admin), API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from arrears.auth import repository as auth_repo
from arrears.auth import service as auth_service
from arrears.auth.dependencies import CurrentUser, DbSession, require
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
from arrears.kit.schema_types import Id

router = APIRouter()


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
    user_id: Id, session: DbSession, _: Principal = Depends(require("users.manage"))
) -> UserOut:
    return UserOut.model_validate(auth_service.get_user(session=session, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"])
def update_user(
    user_id: Id,
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
    user_id: Id, session: DbSession, principal: Principal = Depends(require("users.manage"))
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
    token_id: Id, session: DbSession, principal: Principal = Depends(require("tokens.manage"))
) -> None:
    auth_service.revoke_api_token(
        session=session, user_id=principal.user_id, token_id=token_id, actor=principal.actor
    )
