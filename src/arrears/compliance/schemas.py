"""Compliance inputs and outputs: a scenario (who, history, proposed action) and a decision.

Field names follow the scenario format of issue #4 so an auditor's JSON file maps one to one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from arrears.compliance.reasons import Reason
from arrears.vocabulary import CHANNELS, Channel

Role = Literal["debtor", "guarantor", "spouse", "attorney", "third_party"]
Relation = Literal["parent", "sibling", "colleague", "friend", "neighbour", "employer", "other"]
Outcome = Literal[
    "not_in_service",
    "busy",
    "no_answer",
    "voicemail",
    "limited_content_message",
    "dropped",
    "conversation",
    "third_party_conversation",
]
# Why the contact is made. Third parties may only be asked for location or a call-back; after a
# cease request only the three final notices may go out; under a dispute hold only verification.
Purpose = Literal[
    "collection",
    "location",
    "call_back_request",
    "verification",
    "final_notice_ending",
    "final_notice_remedy_may",
    "final_notice_remedy_will",
]
Direction = Literal["outbound", "inbound"]
HOLD_FLAGS = ("attorney", "cease", "dispute_hold", "bankruptcy", "deceased")
PLAIN_FLAGS = (*HOLD_FLAGS, "employer_forbids_work_calls", "vulnerable", "time_barred")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a UTC offset, e.g. 2026-03-02T10:00:00-05:00")
    return value.astimezone(UTC)


def utc_iso(value: datetime) -> str:
    """UTC ISO 8601 with a ``Z``: ``2026-03-10T13:00:00Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
UtcOut = Annotated[datetime, PlainSerializer(utc_iso, return_type=str, when_used="json")]


def check_flags(value: list[str]) -> list[str]:
    """Flags are a closed vocabulary, so a typo cannot silently drop a hold."""
    for flag in value:
        if flag in PLAIN_FLAGS:
            continue
        kind, _, channel = flag.partition(":")
        if kind == "opt_out" and channel in CHANNELS:
            continue
        raise ValueError(
            f"unknown flag {flag!r}; expected one of {', '.join(PLAIN_FLAGS)} "
            f"or opt_out:<{'|'.join(CHANNELS)}>"
        )
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhoneIn(_Strict):
    number: str = Field(min_length=3, max_length=32)
    type: Literal["mobile", "home", "work", "other"] = "mobile"

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str) -> str:
        digits = value.removeprefix("+")
        if not value.startswith("+") or not digits.isdigit():
            raise ValueError("write the number in E.164 form, e.g. +12125550100")
        return value


class Address(_Strict):
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    region: str | None = Field(default=None, description="state or province code, e.g. NY")
    postal_code: str | None = None
    city: str | None = None

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class Person(_Strict):
    """The person the proposed action reaches, with what the collector knows about them."""

    id: str = Field(min_length=1)
    role: Role = "debtor"
    relation: Relation | None = None
    time_zones: list[str] | None = None
    phones: list[PhoneIn] = Field(default_factory=list)
    address: Address | None = None
    flags: list[str] = Field(default_factory=list)

    @field_validator("time_zones")
    @classmethod
    def _zones(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        from arrears.compliance.zones import known_zone

        for zone in value:
            if not known_zone(zone):
                raise ValueError(f"unknown time zone {zone!r}")
        return value

    @field_validator("flags")
    @classmethod
    def _flags(cls, value: list[str]) -> list[str]:
        return check_flags(value)

    @model_validator(mode="after")
    def _relation(self) -> Person:
        if self.role == "third_party" and self.relation is None:
            raise ValueError("relation: a third party needs a relation (parent, friend, ...)")
        return self


class Debtor(_Strict):
    """The cardholder behind a third-party contact: their holds still apply."""

    id: str = Field(min_length=1)
    flags: list[str] = Field(default_factory=list)

    @field_validator("flags")
    @classmethod
    def _flags(cls, value: list[str]) -> list[str]:
        return check_flags(value)


class _Action(_Strict):
    at: AwareDatetime
    channel: Channel
    collector: str | None = Field(default=None, min_length=1)
    person: str = Field(min_length=1)
    role: Role = "debtor"
    relation: Relation | None = None
    debts: list[str] = Field(default_factory=list)
    number: str | None = None
    purpose: Purpose = "collection"


class Attempt(_Action):
    """A contact attempt already made (or an inbound contact received)."""

    outcome: Outcome | None = None
    direction: Direction = "outbound"

    @model_validator(mode="after")
    def _outcome(self) -> Attempt:
        if self.channel == "call" and self.outcome is None:
            raise ValueError("outcome: a call in the history needs its outcome")
        return self


class Proposed(_Action):
    """The action to decide on."""

    content: str | None = None
    fields: dict[str, str] = Field(
        default_factory=dict, description="letter/message fields, e.g. amount, seal, opt_out"
    )
    at_work: bool = False
    third_party_exception: Literal["asked_to", "earlier_answer_wrong"] | None = None


class Consent(_Strict):
    """Consent given directly to the collector to be called at a time (Reg F §1006.14(b)(3))."""

    given_at: AwareDatetime
    person: str = Field(min_length=1)
    debts: list[str] = Field(default_factory=list)
    for_at: AwareDatetime | None = None
    # With ``for_at``: the end of the window the person chose (a call back between ``for_at``
    # and ``until``); the consent covers that window exactly, without the slack a time has.
    until: AwareDatetime | None = None
    collector: str | None = None

    @model_validator(mode="after")
    def _window(self) -> Consent:
        if self.until is not None and (self.for_at is None or self.until <= self.for_at):
            raise ValueError("until: a window needs for_at and must end after it")
        return self


class Scenario(_Strict):
    """One compliance question: may ``proposed`` happen, given ``history`` and ``consents``?"""

    description: str = ""
    profile: str | None = None
    collector: str = "bank"
    person: Person
    debtor: Debtor | None = None
    history: list[Attempt] = Field(default_factory=list)
    consents: list[Consent] = Field(default_factory=list)
    proposed: Proposed
    expected: dict[str, Any] | None = Field(
        default=None, description="what an example expects; ignored by the engine"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.proposed.person != self.person.id:
            raise ValueError(f"proposed.person: must be the person's id {self.person.id!r}")
        for name in ("role", "relation"):
            given = getattr(self.proposed, name)
            if name in self.proposed.model_fields_set and given != getattr(self.person, name):
                raise ValueError(f"proposed.{name}: {given!r} differs from person.{name}")
        return self

    def resolved(self) -> Scenario:
        """Fill each action's collector from the scenario's default."""
        default = self.collector
        history = [
            h if h.collector else h.model_copy(update={"collector": default}) for h in self.history
        ]
        consents = [
            c if c.collector else c.model_copy(update={"collector": default}) for c in self.consents
        ]
        proposed = self.proposed
        if not proposed.collector:
            proposed = proposed.model_copy(update={"collector": default})
        if proposed.role != self.person.role or proposed.relation != self.person.relation:
            proposed = proposed.model_copy(
                update={"role": self.person.role, "relation": self.person.relation}
            )
        return self.model_copy(
            update={"history": history, "consents": consents, "proposed": proposed}
        )


class Finding(BaseModel):
    """One problem the content checker found in a text."""

    model_config = ConfigDict(frozen=True)

    rule: str
    category: str
    phrase: str
    message: str
    params: dict[str, Any] = Field(default_factory=dict)

    @property
    def reason(self) -> Reason:
        """The finding as a reason any reader's locale can render."""
        return Reason(rule=self.rule, params=self.params or {"phrase": self.phrase})


class Decision(BaseModel):
    """Allowed or blocked, by which rules, and when the action would next be allowed."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    rules: list[str] = Field(default_factory=list)
    reason: str = Field(default="", description="the reasons as one line, in the reader's locale")
    reasons: list[Reason] = Field(
        default_factory=list, description="machine-readable: rule id and parameters per reason"
    )
    next_allowed_at: UtcOut | None = None
    flags: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    profile: str = ""


class ReportRow(BaseModel):
    """Blocked actions of one contact day (in the center's zone), actor, stage and rule."""

    day: str
    actor: str = Field(description="staff code, agency:CODE, or the job (system)")
    stage: str = Field(description="engine, workflow (a gate after it) or relay (the outbox)")
    rule: str
    blocked: int
    overridden: int
    checks: list[int] = Field(description="the compliance checks counted: drill down by id")


class LocalTime(BaseModel):
    """One instant in one zone."""

    zone: str
    at: str = Field(description="local ISO time with its offset")


class BlockedCheck(BaseModel):
    """One refused action as the report's drill-down shows it; times in the center's zone and
    in each zone the debtor may be in, never in UTC only."""

    id: int
    contact_at: UtcOut
    contact_at_center: LocalTime
    day: str
    actor: str
    collector: str
    stage: str
    channel: str
    person: str
    rules: list[str]
    reason: str
    next_allowed_at: UtcOut | None = None
    next_allowed_center: LocalTime | None = None
    next_allowed_debtor: list[LocalTime] = Field(default_factory=list)
    overridden_by: str | None = None
    override_reason: str | None = None
