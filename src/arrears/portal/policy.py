"""The portal policy (YAML, shipped in ``portal/policies``): link lifetimes per channel, the
facts a customer proves, throttling and session lifetimes. This module only validates it."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arrears.auth.sessions import SessionRules
from arrears.config import get_settings
from arrears.kit import config_file

POLICIES = Path(__file__).parent / "policies"
Fact = Literal["birth_date", "id_last4"]


class LinkHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sms: int = Field(ge=1, le=24 * 90)
    email: int = Field(ge=1, le=24 * 90)
    letter: int = Field(ge=1, le=24 * 90)

    def lifetime(self, channel: str) -> timedelta:
        return timedelta(hours=int(getattr(self, channel)))


class PortalSessionLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    idle_minutes: int = Field(ge=1, le=120)
    absolute_minutes: int = Field(ge=1, le=24 * 60)
    touch_every_seconds: int = Field(ge=1, le=600)

    @model_validator(mode="after")
    def _idle_within_absolute(self) -> PortalSessionLimits:
        if self.idle_minutes > self.absolute_minutes:
            raise ValueError("idle_minutes must not exceed absolute_minutes")
        return self

    @property
    def rules(self) -> SessionRules:
        return SessionRules(
            idle=timedelta(minutes=self.idle_minutes),
            absolute=timedelta(minutes=self.absolute_minutes),
            touch_every=timedelta(seconds=self.touch_every_seconds),
        )


class PortalPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    link_hours: LinkHours
    verification: tuple[Fact, ...] = Field(min_length=1)
    failures_per_link: int = Field(ge=1, le=20)
    failures_per_address: int = Field(ge=1, le=10_000)
    window_minutes: int = Field(ge=1, le=24 * 60)
    session: PortalSessionLimits

    @field_validator("verification")
    @classmethod
    def _distinct(cls, facts: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(facts)) != len(facts):
            raise ValueError("a fact is listed twice")
        return facts

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)


@lru_cache(maxsize=8)
def load_policy(name_or_path: str = "default") -> PortalPolicy:
    """A shipped policy by name or a YAML file by path; errors name the field."""
    return config_file.load(PortalPolicy, POLICIES, name_or_path, "portal policy")


def policy() -> PortalPolicy:
    """The policy ``ARREARS_PORTAL_POLICY`` names (default: the shipped ``default``)."""
    return load_policy(get_settings().portal_policy)
