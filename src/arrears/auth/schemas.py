"""What the auth API takes and returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arrears.auth.policy import Role
from arrears.kit.schema_types import Body, Id


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    agency_id: int | None
    staff_id: int | None
    locale: str
    active: bool
    created_at: datetime


class UserCreate(Body):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9_.-]+$")
    display_name: str = Field(default="", max_length=120)
    role: Role
    password: str | None = Field(default=None, description="Generated when omitted.")
    agency_id: Id | None = None
    staff_id: Id | None = None
    locale: str = Field(default="zh-CN", pattern=r"^(en|zh-CN)$")


class UserUpdate(Body):
    display_name: str | None = Field(default=None, max_length=120)
    role: Role | None = None
    agency_id: Id | None = None
    staff_id: Id | None = None
    locale: str | None = Field(default=None, pattern=r"^(en|zh-CN)$")
    active: bool | None = None

    @field_validator("display_name", "role", "locale", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Sent as null: the column holds no null, and "no change" is leaving the field out.
        if value is None:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value


class UserCreated(BaseModel):
    user: UserOut
    password: str = Field(description="Shown once; only its argon2 hash is stored.")


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    agency_id: int | None
    locale: str
    permissions: list[str]


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreate(Body):
    name: str = Field(min_length=1, max_length=80)
    days: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Lifetime in days; omitted or null: the security policy's default. Every token "
            "expires: longer than the policy's maximum is refused (409)."
        ),
    )


class ApiTokenCreated(BaseModel):
    token: ApiTokenOut
    secret: str = Field(description="Shown once; send as 'Authorization: Bearer <secret>'.")
