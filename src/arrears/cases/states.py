"""The work order state machine, as pure data and one function.

A case moves through the playbook: open -> assigned -> in_progress -> promised -> kept / broken,
with side exits to escalated, placed (agency) and on_hold, and ends closed with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from arrears.kit.errors import BadInput, IllegalTransition
from arrears.vocabulary import CLOSE_REASONS, HOLD_REASONS, WORK_ORDER_STATUSES

STATES = WORK_ORDER_STATUSES
ESCALATION_TARGETS = ("senior_specialist", "legal_review")

# Why these edges: a case can always be escalated, held or closed while it is being worked;
# "kept" is not the end (the account cures only at the next cycle, or a new promise follows);
# closed is terminal: a new delinquency opens a new work order (the cycle does that).
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"assigned", "in_progress", "escalated", "placed", "on_hold", "closed"}),
    "assigned": frozenset({"open", "in_progress", "escalated", "placed", "on_hold", "closed"}),
    "in_progress": frozenset({"assigned", "promised", "escalated", "placed", "on_hold", "closed"}),
    # promised -> in_progress: the promise was replaced by a plan or settlement (superseded).
    "promised": frozenset({"in_progress", "kept", "broken", "escalated", "on_hold", "closed"}),
    "kept": frozenset({"in_progress", "promised", "closed"}),
    "broken": frozenset({"in_progress", "promised", "escalated", "placed", "on_hold", "closed"}),
    "escalated": frozenset({"assigned", "in_progress", "promised", "placed", "on_hold", "closed"}),
    "placed": frozenset({"open", "on_hold", "closed"}),
    "on_hold": frozenset({"open", "in_progress", "escalated", "closed"}),
    "closed": frozenset(),
}


@dataclass(frozen=True)
class Move:
    """The fields a legal transition sets on the work order."""

    status: str
    close_reason: str | None
    hold_reason: str | None
    escalated_to: str | None


def allowed_from(state: str) -> tuple[str, ...]:
    """The states a case in ``state`` may move to, in playbook order."""
    targets = TRANSITIONS.get(state, frozenset())
    return tuple(s for s in STATES if s in targets)


def plan_move(
    current: str,
    target: str,
    *,
    close_reason: str | None = None,
    hold_reason: str | None = None,
    escalated_to: str | None = None,
) -> Move:
    """Check ``current -> target`` and its reason; raise ``IllegalTransition`` or ``BadInput``."""
    if target not in STATES:
        raise BadInput(f"unknown work order state {target!r}; known: {', '.join(STATES)}")
    if current not in STATES:
        raise BadInput(f"the work order is in an unknown state {current!r}")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(allowed_from(current)) or "none (closed is final)"
        raise IllegalTransition(
            f"a work order cannot move from {current} to {target}; from {current} it may move "
            f"to: {allowed}",
            detail={"from": current, "to": target, "allowed": list(allowed_from(current))},
        )
    if target == "closed":
        if close_reason not in CLOSE_REASONS:
            raise BadInput(
                f"closing needs a close_reason, one of: {', '.join(CLOSE_REASONS)}"
                + (f" (got {close_reason!r})" if close_reason else "")
            )
    elif close_reason is not None:
        raise BadInput("close_reason is only for moving to closed")
    if target == "on_hold":
        if hold_reason not in HOLD_REASONS:
            raise BadInput(
                f"putting on hold needs a hold_reason, one of: {', '.join(HOLD_REASONS)}"
                + (f" (got {hold_reason!r})" if hold_reason else "")
            )
    elif hold_reason is not None:
        raise BadInput("hold_reason is only for moving to on_hold")
    if target == "escalated":
        escalated_to = escalated_to or "senior_specialist"
        if escalated_to not in ESCALATION_TARGETS:
            raise BadInput(
                f"escalated_to must be one of: {', '.join(ESCALATION_TARGETS)} "
                f"(got {escalated_to!r})"
            )
    elif escalated_to is not None:
        raise BadInput("escalated_to is only for moving to escalated")
    return Move(
        status=target, close_reason=close_reason, hold_reason=hold_reason, escalated_to=escalated_to
    )
