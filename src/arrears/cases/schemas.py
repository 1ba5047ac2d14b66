"""Request bodies for the workflow API, and the JSON shape of what it returns."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def jsonable(value: Any) -> Any:
    """Amounts as exact strings, dates as ISO 8601: JSON never carries a float amount."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


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


class ContactIn(_Body):
    channel: str
    party: str = "debtor"
    outcome: str
    direction: str = "outbound"
    contact_person_id: int | None = None
    purpose: str | None = None
    address_used: str | None = Field(default=None, max_length=255)
    duration_seconds: int | None = None
    notes: str | None = Field(default=None, max_length=4000)
    recording_ref: str | None = Field(default=None, max_length=255)
    content: str | None = Field(default=None, max_length=4000)
    fields: dict[str, str] | None = None
    script: str | None = None
    at: datetime | None = Field(default=None, description="when (default: now); aware")
    override_reason: str | None = Field(
        default=None, description="compliance officers only: go ahead despite a block"
    )


class PromiseIn(_Body):
    amount: str = Field(description="e.g. '1020.00'")
    due_on: date
    channel: str = "call"
    contact_attempt_id: int | None = None
    version: int | None = None


class PlanIn(_Body):
    total: str
    instalments: int | None = None
    first_due_on: date
    frequency: str = "monthly"
    amounts: list[str] | None = None
    due_dates: list[date] | None = None
    version: int | None = None


class SettlementIn(_Body):
    balance: str
    discount: str = Field(description="share of the balance waived, e.g. '0.20'")
    due_on: date
    version: int | None = None


class DecisionIn(_Body):
    approve: bool
    note: str | None = Field(default=None, max_length=2000)
    version: int | None = None


class ReconcileIn(_Body):
    as_of: date | None = None


class CourtesyIn(_Body):
    on: date
