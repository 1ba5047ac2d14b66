"""Step by step: the debtor first, his contact persons only later (rule ``workflow.step_by_step``).

The operation's own words: contact the customer himself first and give it a few days; only if
there is no progress, go to his contact persons, and then only for a call-back or his location
(rule ``workflow.contact_person_purpose``), never to tell them of the debt.

Pure: takes the policy and the debtor attempts, returns whether, when and why; ``gate`` turns
that into the refusal the contact flow records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from arrears.compliance.reasons import Reason, render
from arrears.contacts.vocabulary import PROGRESS_OUTCOMES
from arrears.kit import config_file

Purpose = Literal["callback_request", "location_information"]
Relation = Literal["spouse", "parent", "sibling", "colleague", "friend", "guarantor", "other"]


STEP_BY_STEP = "workflow.step_by_step"
CONTACT_PERSON_PURPOSE = "workflow.contact_person_purpose"


class StepByStepPolicy(BaseModel):
    """The YAML policy (``contacts/policies/step_by_step.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    debtor_only_days: int = Field(default=5, ge=0, le=90)
    min_debtor_attempts: int = Field(default=3, ge=0, le=50)
    # The local hour (the center's zone) from which contact persons may be called on the day
    # they unlock: the refusal's next_allowed_at.
    contact_hour: int = Field(default=8, ge=0, le=23)
    contact_persons: dict[Relation, list[Purpose]] = Field(default_factory=dict)

    def purposes_for(self, relation: str) -> tuple[str, ...]:
        return tuple(self.contact_persons.get(relation, ()))  # type: ignore[call-overload]


def load_step_by_step_policy(name_or_path: str = "step_by_step") -> StepByStepPolicy:
    """Load a shipped policy by name or any YAML file by path; errors name the field."""
    return config_file.load(
        StepByStepPolicy, Path(__file__).parent / "policies", name_or_path, "step-by-step policy"
    )


@dataclass(frozen=True)
class DebtorAttempt:
    """One attempt on the debtor himself that was actually made (not blocked)."""

    on: date
    outcome: str


@dataclass(frozen=True)
class Unlock:
    """Whether contact persons may be contacted, and if not, when and why."""

    unlocked: bool
    unlocks_on: date | None
    reason: str
    why: Reason
    attempts_made: int
    attempts_needed: int
    window_started_on: date
    purposes: dict[str, tuple[str, ...]]


def contact_persons_unlock(
    *,
    policy: StepByStepPolicy,
    work_started_on: date,
    debtor_attempts: Sequence[DebtorAttempt],
    today: date,
) -> Unlock:
    """Contact persons unlock after ``debtor_only_days`` of debtor work with no RPC or promise.

    The window starts when work on the case starts and restarts at the latest right-party
    contact or promise; inside it the debtor must have had at least ``min_debtor_attempts``.
    """
    progress = [a.on for a in debtor_attempts if a.outcome in PROGRESS_OUTCOMES and a.on <= today]
    start = max([work_started_on, *progress])
    made = sum(1 for a in debtor_attempts if start <= a.on <= today)
    opens_on = start + timedelta(days=policy.debtor_only_days)
    purposes = {rel: tuple(p) for rel, p in policy.contact_persons.items()}
    common = {
        "attempts_made": made,
        "attempts_needed": policy.min_debtor_attempts,
        "window_started_on": start,
        "purposes": purposes,
    }
    since = "progress" if progress else "work"
    needed = policy.min_debtor_attempts
    if today < opens_on:
        why = Reason(
            rule=STEP_BY_STEP,
            params={
                "days": policy.debtor_only_days,
                "since": since,
                "start": start.isoformat(),
                "opens_on": opens_on.isoformat(),
                "needed": needed,
                "made": made,
            },
            variant="short" if made < needed else None,
        )
        return Unlock(
            unlocked=False,
            unlocks_on=opens_on,
            reason=render(why),
            why=why,
            **common,  # type: ignore[arg-type]
        )
    if made < needed:
        why = Reason(
            rule=STEP_BY_STEP,
            params={
                "made": made,
                "needed": needed,
                "start": start.isoformat(),
                "missing": needed - made,
            },
            variant="attempts",
        )
        return Unlock(
            unlocked=False,
            unlocks_on=None,
            reason=render(why),
            why=why,
            **common,  # type: ignore[arg-type]
        )
    why = Reason(
        rule=STEP_BY_STEP,
        params={"days": (today - start).days, "made": made, "since": since},
        variant="unlocked",
    )
    return Unlock(
        unlocked=True,
        unlocks_on=opens_on,
        reason=render(why),
        why=why,
        **common,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Refusal:
    """Why a contact-person contact may not happen (yet), as the contact log records it."""

    rule: str
    reason: str
    next_allowed_at: datetime | None = None
    why: Reason | None = None


def gate(
    *,
    policy: StepByStepPolicy,
    unlock: Unlock,
    relation: str,
    purpose: str | None,
    zone: ZoneInfo,
) -> Refusal | None:
    """Refuse a contact-person contact before the debtor-only period ends, or for a purpose the
    relation may not be asked for; ``None`` when it may go ahead (compliance decides the rest)."""
    if not unlock.unlocked:
        when = None
        if unlock.unlocks_on is not None:
            opens = datetime.combine(unlock.unlocks_on, time(policy.contact_hour), zone)
            when = opens.astimezone(UTC)
        return Refusal(STEP_BY_STEP, unlock.reason, when, unlock.why)
    allowed = policy.purposes_for(relation)
    if purpose not in allowed:
        why = Reason(
            rule=CONTACT_PERSON_PURPOSE, params={"relation": relation, "allowed": list(allowed)}
        )
        return Refusal(CONTACT_PERSON_PURPOSE, render(why), why=why)
    return None
