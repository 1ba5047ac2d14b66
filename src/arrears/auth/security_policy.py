"""The security policy (YAML, shipped in ``auth/policies``): sign-in throttling, session
lifetimes, API token lifetimes. Every limit is data; this module only validates it."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.auth.sessions import SessionRules
from arrears.config import get_settings
from arrears.kit import config_file

POLICIES = Path(__file__).parent / "policies"


class SignInLimits(BaseModel):
    """Failed sign-ins allowed within the window, per username and per address."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_minutes: int = Field(ge=1, le=24 * 60)
    failures_per_username: int = Field(ge=1, le=1000)
    failures_per_address: int = Field(ge=1, le=100_000)

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)


class SessionLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    idle_minutes: int = Field(ge=1, le=24 * 60)
    absolute_hours: int = Field(ge=1, le=7 * 24)
    touch_every_seconds: int = Field(ge=1, le=3600)

    @model_validator(mode="after")
    def _idle_within_absolute(self) -> SessionLimits:
        if self.idle_minutes > self.absolute_hours * 60:
            raise ValueError("idle_minutes must not exceed absolute_hours")
        return self

    @property
    def rules(self) -> SessionRules:
        return SessionRules(
            idle=timedelta(minutes=self.idle_minutes),
            absolute=timedelta(hours=self.absolute_hours),
            touch_every=timedelta(seconds=self.touch_every_seconds),
        )


class ApiTokenLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default_days: int = Field(ge=1)
    max_days: int = Field(ge=1, le=3650)

    @model_validator(mode="after")
    def _default_within_max(self) -> ApiTokenLimits:
        if self.default_days > self.max_days:
            raise ValueError("default_days must not exceed max_days")
        return self


class SecurityPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sign_in: SignInLimits
    sessions: SessionLimits
    api_tokens: ApiTokenLimits


@lru_cache(maxsize=8)
def load_security_policy(name_or_path: str = "default") -> SecurityPolicy:
    """Load a shipped policy by name or a YAML file by path; errors name the field."""
    return config_file.load(SecurityPolicy, POLICIES, name_or_path, "security policy")


def security_policy(name: str | None = None) -> SecurityPolicy:
    """The policy ``ARREARS_SECURITY_POLICY`` names (or ``name``)."""
    return load_security_policy(name or get_settings().security_policy)
