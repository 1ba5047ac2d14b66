"""What the portal's pages show, as plain typed data (no ORM rows reach a template)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel


class OwedLine(BaseModel):
    kind: str
    name: str  # what the line is called in the customer's language
    amount: Decimal
    explanation: str  # the breakdown's own sentence, in the customer's language


class OwedAccount(BaseModel):
    account_id: int  # the form's value on the Pay page (the server checks it is the customer's)
    account_ref: str  # masked to its last 4 characters for display
    product: str
    currency: str
    dpd: int
    amount_past_due: Decimal
    total_due: Decimal
    as_of: date
    lines: list[OwedLine]


class PromiseLine(BaseModel):
    amount: Decimal
    currency: str
    due_on: date
    made_on: date
    status: str
    paid: Decimal
    self_service: bool  # taken in the portal (``taken_by`` is a customer actor)


class PlanLine(BaseModel):
    kind: str
    total: Decimal
    currency: str
    frequency: str
    instalment_count: int
    first_due_on: date
    status: str


class Overview(BaseModel):
    """The customer's delinquent accounts and what they owe, plus the charges' terms (the
    credit-education wording the scripts use) and the promise and plan history."""

    accounts: list[OwedAccount]
    total_due: Decimal
    currency: str
    terms: dict[str, str]
    promises: list[PromiseLine]
    plans: list[PlanLine]
    work_order_ids: list[int]  # the customer's open cases (for the Act pages)
