"""Late entries: the server owns the time of a contact; a contact made earlier (offline, a field
visit) is entered afterwards within the policy's window, flagged, and decided against the whole
history up to now, not only the history before it.

Pure: the policy, the time check, and which later attempts a late entry would have made unlawful
(the engine counts only the history before the instant it decides, so a late entry slipped in
before three logged calls would otherwise make a fourth that day).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from arrears.compliance.engine import decide
from arrears.compliance.profile import Profile
from arrears.compliance.reasons import Reason, refusal
from arrears.compliance.schemas import Attempt, Debtor, Person, Proposed
from arrears.kit import config_file
from arrears.kit.errors import BadInput, RuleRefused

# The rules that count the history: the ones a late entry can break for the attempts after it.
COUNTING_RULES = frozenset(
    {"daily_cap", "vulnerable.daily_cap", "reg_f.call_cap", "reg_f.cooldown", "third_party.once"}
)
LATE_ENTRY_RULE = "late_entry.history"


class LateEntryPolicy(BaseModel):
    """``contacts/policies/late_entry.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_hours: int = Field(default=24, ge=0, le=24 * 7)


def load_late_entry_policy(name_or_path: str = "late_entry") -> LateEntryPolicy:
    """The shipped policy by name, or a YAML file by path; errors name the field."""
    return config_file.load(
        LateEntryPolicy, Path(__file__).parent / "policies", name_or_path, "late-entry policy"
    )


def checked_made_at(made_at: datetime, *, now: datetime, policy: LateEntryPolicy) -> datetime:
    """The time a late entry says the contact was made, if the policy takes it.

    Naive or future times are malformed (``BadInput``, 422): nobody logs a call not yet made.
    Older than the window is a rule refusing it (``RuleRefused``, 409).
    """
    if made_at.tzinfo is None:
        raise BadInput("made_at needs a UTC offset, e.g. 2026-03-02T10:00:00+08:00")
    if made_at > now:
        raise BadInput(
            f"made_at: {made_at.isoformat()} is after now ({now.isoformat()}); "
            "a contact is entered once it is made"
        )
    if now - made_at > timedelta(hours=policy.window_hours):
        ago = f"{(now - made_at).total_seconds() / 3600:.1f}"
        raise refusal(
            RuleRefused,
            Reason(rule="late_entry.window", params={"hours": policy.window_hours, "ago": ago}),
        )
    return made_at


def later_breaches(
    *,
    profile: Profile,
    person: Person,
    late: Attempt,
    history: Sequence[Attempt],
    debtor: Debtor | None,
    now: datetime,
) -> list[tuple[Attempt, list[str]]]:
    """The person's attempts after ``late`` (up to ``now``) that a counting rule would have
    blocked had ``late`` been in the history, with those rules (only the ones ``late`` adds)."""
    found = []
    for later in history:
        if later.person != late.person or not (late.at < later.at <= now):
            continue
        if later.direction != "outbound":
            continue
        proposed = Proposed(
            at=later.at,
            channel=later.channel,
            collector=later.collector,
            person=later.person,
            role=later.role,
            relation=later.relation,
            debts=later.debts,
            number=later.number,
            purpose=later.purpose,
        )
        others = [h for h in history if h is not later]

        def counted(with_history: list[Attempt], proposed: Proposed = proposed) -> set[str]:
            decision = decide(
                profile=profile,
                person=person,
                proposed=proposed,
                history=with_history,
                debtor=debtor,
            )
            return set(decision.rules) & COUNTING_RULES

        added = counted([*others, late]) - counted(others)
        if added:
            found.append((later, sorted(added)))
    return found
