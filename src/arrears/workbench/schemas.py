"""What the workbench shows: a queue row and the case view. Field names matter: the masking
layer masks ``id_number``, ``phone`` and ``address`` (and friends) by name."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from arrears.cases.schemas import (
    BreakdownItemOut,
    CaseSummary,
    FollowUpOut,
    ProfileOut,
    ThreeStopsOut,
)
from arrears.contacts.schemas import ContactAttemptOut, UnlockOut
from arrears.kit.schema_types import Body
from arrears.promises.schemas import PlanOut, PromiseOut


class QueueRow(BaseModel):
    id: int
    customer_name: str
    customer_ref: str
    status: str
    bucket: str
    dpd: int
    amount_due: Decimal
    currency: str
    level: str
    queue: str
    priority: int
    segment: str | None
    next_action_on: date | None
    broken_promises: int
    # The customer acted in the self-service portal since the case's last contact: look at
    # the timeline before calling.
    customer_acted: bool = False


class QueuePage(BaseModel):
    rows: list[QueueRow]
    total: int
    offset: int
    limit: int


class PhoneOut(BaseModel):
    id: int
    type: str
    phone: str


class ContactPersonOut(BaseModel):
    id: int
    name: str
    relation: str
    phone: str | None


class CustomerOut(BaseModel):
    id: int
    external_ref: str
    name: str
    id_number: str | None
    address: str | None
    province: str | None
    city: str | None
    identity_category: str
    occupation: str | None
    employer: str | None
    language: str
    time_zones: list[str]
    flags: list[str]
    phones: list[PhoneOut]
    contact_persons: list[ContactPersonOut]


class AccountOut(BaseModel):
    id: int | None
    account_ref: str
    product: str | None
    currency: str
    credit_limit: Decimal | None
    status: str | None
    bucket: str
    dpd: int
    amount_past_due: Decimal | None
    as_of: date | None
    items: list[BreakdownItemOut]
    principal: Decimal | None
    interest: Decimal | None
    fees: Decimal | None
    payments: Decimal | None
    total_due: Decimal | None


class TimelineEntry(BaseModel):
    at: datetime
    kind: str  # contact, promise, payment, level, status, portal, ...
    summary: str
    actor: str | None = None
    # Done by the customer himself (the self-service portal), not by the bank.
    by_customer: bool = False


class WorkOrderOut(CaseSummary):
    """The case view's header: the case summary and the cycle's segment, tier and treatments."""

    segment: str | None
    tier: int | None
    treatments: list[str]
    # The header's bucket and DPD are the cycle's, as of this date; the breakdown's are today's.
    last_cycle_as_of: date | None = None


class CaseView(BaseModel):
    """The one case view: the case page renders it, ``GET /cases/{id}`` and
    ``GET /workbench/cases/{id}`` answer it, ``arrears case show`` prints it."""

    work_order: WorkOrderOut
    customer: CustomerOut
    accounts: list[AccountOut]
    total_due: Decimal
    contact_persons_unlock: UnlockOut
    three_stops: ThreeStopsOut
    follow_ups: list[FollowUpOut]
    profile: ProfileOut | None
    promises: list[PromiseOut]
    plans: list[PlanOut]
    contacts: list[ContactAttemptOut]
    timeline: list[TimelineEntry]


class UnmaskRequest(Body):
    field: str  # id_number | address | phone | contact_phone
    item_id: int | None = None  # phone id or contact person id


class Unmasked(BaseModel):
    field: str
    item_id: int | None
    value: str | None


class ScriptLineOut(BaseModel):
    label: str
    amount: Decimal
    explanation: str


class PlanOptionOut(BaseModel):
    label_en: str
    label_zh: str
    kind: str
    instalments: int
    amount: Decimal


class ScriptOut(BaseModel):
    """A script rendered with the case's real figures; a letter carries its ``fields``."""

    name: str
    locale: str
    level: str
    text: str
    plan_options: list[PlanOptionOut]
    items: list[ScriptLineOut]
    fields: dict[str, str] | None = None
