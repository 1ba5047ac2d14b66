"""Request bodies for promises, plans, settlements and their approval."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
