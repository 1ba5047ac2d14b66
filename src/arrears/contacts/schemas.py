"""Request bodies of the contact log and the courtesy outbox."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from arrears.kit.schema_types import DB_INT_MAX, Body, Id


class _Body(Body):
    """A request body: unknown fields refused, integers and text within the store's bounds."""


class ContactIn(_Body):
    channel: str
    party: str = "debtor"
    outcome: str
    direction: str = "outbound"
    contact_person_id: Id | None = None
    purpose: str | None = None
    address_used: str | None = Field(default=None, max_length=255)
    duration_seconds: int | None = Field(default=None, le=DB_INT_MAX)
    notes: str | None = Field(default=None, max_length=4000)
    recording_ref: str | None = Field(default=None, max_length=255)
    content: str | None = Field(default=None, max_length=4000)
    fields: dict[str, str] | None = None
    script: str | None = None
    made_at: datetime | None = Field(
        default=None,
        description=(
            "only for a late entry: when a contact made offline or on a visit happened, with its "
            "offset, within the late-entry window (default 24 h); otherwise the server records "
            "the contact at its own time"
        ),
    )
    override_reason: str | None = Field(
        default=None, description="compliance officers only: go ahead despite a block"
    )


class CourtesyIn(_Body):
    on: date


# --- what the routes answer --------------------------------------------------------------------


class ContactComplianceOut(BaseModel):
    """The compliance decision stored with the attempt (and the profile's own details)."""

    model_config = ConfigDict(extra="allow")

    allowed: bool | None
    rules: list[str]
    reason: str | None
    next_allowed_at: datetime | None
    profile: str | None
    check_id: int | None = None


class ContactAttemptOut(BaseModel):
    id: int
    work_order_id: int
    at: datetime
    collector: str
    channel: str
    direction: str
    party: str
    contact_person_id: int | None
    relation: str | None
    purpose: str | None
    address_used: str | None
    status: str
    outcome: str | None
    duration_seconds: int | None
    notes: str | None
    recording_ref: str | None
    compliance: ContactComplianceOut


class UnlockOut(BaseModel):
    """Step by step: whether the case's contact persons may be contacted, when and why."""

    unlocked: bool
    unlocks_on: date | None
    reason: str
    attempts_made: int
    attempts_needed: int
    window_started_on: date
    purposes: dict[str, list[str]]


class CourtesySkipped(BaseModel):
    """A customer the batch could not greet, and why."""

    cardholder_id: int
    customer_ref: str
    code: str = Field(description="no_mobile, name_not_greetable or compliance_blocked")
    reason: str


class CourtesyQueued(BaseModel):
    on: date
    queued: int
    skipped: list[CourtesySkipped] = Field(
        default_factory=list, description="customers not greeted, each with the reason"
    )
