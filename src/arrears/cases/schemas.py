"""Request bodies for the workflow API, and the JSON shape of what it returns."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransitionIn(_Body):
    to: str
    reason: str | None = Field(default=None, max_length=2000)
    close_reason: str | None = None
    hold_reason: str | None = None
    escalated_to: str | None = None
    version: int | None = Field(default=None, description="the version you read (409 if stale)")


class StopIn(_Body):
    stop: int
    locale: Literal["en", "zh-CN"] | None = None
    contact_attempt_id: int | None = None
    version: int | None = None


class FollowUpIn(_Body):
    due_on: date
    kind: str = "call_back"
    note: str | None = Field(default=None, max_length=2000)


class NextActionIn(_Body):
    on: date | None
    version: int | None = None


class FactIn(_Body):
    fact: str = Field(min_length=1, max_length=500)
    status: Literal["verified", "claimed"] = "claimed"
    source: str | None = Field(default=None, max_length=200)


class ProfileIn(_Body):
    pain_points: list[str] | None = None
    stated_reason: str | None = None
    reason_detail: str | None = Field(default=None, max_length=2000)
    facts: list[FactIn] | None = None
    agreed_solution: str | None = Field(default=None, max_length=2000)
    version: int | None = None
