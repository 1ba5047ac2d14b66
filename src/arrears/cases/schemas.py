"""Request bodies for the workflow API, and the JSON shape of what it returns."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from arrears.kit.schema_types import Body


class _Body(Body):
    """A request body: unknown fields refused, integers and text within the store's bounds."""


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


# --- what the routes answer (the OpenAPI schema describes these) -------------------------------


class CaseSummary(BaseModel):
    """A case's header: its state, figures and the moves its state allows."""

    id: int
    customer_ref: str
    status: str
    close_reason: str | None
    hold_reason: str | None
    escalated_to: str | None
    bucket: str
    dpd: int
    amount_due: Decimal
    balance: Decimal
    currency: str
    level: str
    queue: str
    priority: int
    problem_customer: bool
    broken_promises: int
    next_action_on: date | None
    opened_on: date
    closed_on: date | None
    version: int
    allowed_transitions: list[str]


class StopGivenOut(BaseModel):
    stop: int
    given_at: datetime
    given_by: str
    wording: str


class ThreeStopsOut(BaseModel):
    given: list[StopGivenOut]
    next: int | None = Field(description="the stop to give next; null after the third")


class StopRecorded(BaseModel):
    stop: int
    wording: str
    given_at: datetime
    case: CaseSummary


class FollowUpOut(BaseModel):
    id: int
    due_on: date
    kind: str
    note: str | None = None
    status: str
    source: str | None = None


class FollowUpDone(BaseModel):
    id: int
    status: str
    done_at: datetime | None


class ProfileOut(BaseModel):
    """Listen, ask, check: what the collector learned about the customer."""

    pain_points: list[str]
    stated_reason: str | None
    reason_detail: str | None
    facts: list[dict[str, Any]]
    agreed_solution: str | None
    version: int


class BreakdownItemOut(BaseModel):
    kind: str
    amount: Decimal
    explanation: dict[str, str]


class AccountOwedOut(BaseModel):
    """What one account owes and why, line by line."""

    account_ref: str
    as_of: date
    currency: str
    dpd: int
    bucket: str
    amount_past_due: Decimal
    principal: Decimal
    interest: Decimal
    fees: Decimal
    payments: Decimal
    total_due: Decimal
    items: list[BreakdownItemOut]
