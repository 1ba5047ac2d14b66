"""Request bodies for promises, plans, settlements and their approval."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from arrears.cases.schemas import CaseSummary
from arrears.kit.schema_types import DB_INT_MAX, Body


class _Body(Body):
    """A request body: unknown fields refused, integers and text within the store's bounds."""


_SUPERSEDE = Field(
    default=False,
    description="replace the case's live promise, plan or settlement (cancelled and audited); "
    "without it a case that has one refuses a new arrangement (409)",
)


class PromiseCreate(_Body):
    amount: str = Field(description="e.g. '1020.00'; at most what the case owes today")
    due_on: date
    channel: str = "call"
    contact_attempt_id: int | None = None
    version: int | None = None
    supersede: bool = _SUPERSEDE


class PlanCreate(_Body):
    total: str | None = Field(
        default=None,
        description="leave out: the plan covers what the case owes today; less only down to "
        "the policy's plan.min_cover share",
    )
    instalments: int | None = Field(default=None, ge=1, le=DB_INT_MAX)
    first_due_on: date
    frequency: str = "monthly"
    amounts: list[str] | None = None
    due_dates: list[date] | None = None
    version: int | None = None
    supersede: bool = _SUPERSEDE


class SettlementCreate(_Body):
    """The balance is what the case owes today, from the store: it is not a field."""

    discount: str = Field(description="share of the balance waived, e.g. '0.20'")
    due_on: date
    version: int | None = None
    supersede: bool = _SUPERSEDE


class DecisionIn(_Body):
    approve: bool
    note: str | None = Field(default=None, max_length=2000)
    version: int | None = None


class ReconcileIn(_Body):
    as_of: date | None = None


# --- what the routes answer --------------------------------------------------------------------


class PromiseOut(BaseModel):
    id: int
    work_order_id: int
    amount: Decimal
    currency: str
    due_on: date
    made_on: date
    channel: str
    status: str
    paid: Decimal
    settled_on: date | None
    taken_by: str
    version: int


class InstalmentOut(BaseModel):
    seq: int
    due_on: date
    amount: Decimal
    status: str
    paid: Decimal


class PlanOut(BaseModel):
    """A repayment plan or settlement; ``instalments`` where the route loads them."""

    id: int
    work_order_id: int
    kind: str
    status: str
    balance: Decimal
    discount: Decimal
    total: Decimal
    currency: str
    instalment_count: int
    first_due_on: date
    frequency: str
    needs_checker: bool
    maker: str
    checker: str | None
    missed: int
    version: int
    instalments: list[InstalmentOut] = Field(default_factory=list)


class PromiseTaken(PromiseOut):
    """A promise just taken, with the case it moved."""

    case: CaseSummary


class CaseReconciled(BaseModel):
    """One case's promises and plan instalments marked against its payments."""

    work_order_id: int
    as_of: date
    status: str
    promises: list[PromiseOut]
    changed: list[dict[str, Any]] = Field(description="each promise whose status changed")
    plans: list[dict[str, Any]] = Field(description="each plan instalment that changed")
    case: CaseSummary


class BookReconciled(BaseModel):
    """The nightly promise stage over the book: how many cases, and the verdicts written."""

    cases: int
    kept: int
    partially_kept: int
    broken: int
    skipped: int
