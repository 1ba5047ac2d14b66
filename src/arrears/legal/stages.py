"""The legal case's stages, as pure data and functions: which moves are legal, which hold each
stage places on the work order, and what part of the costs goes onto the customer's balance.

pre_litigation_review -> filed -> hearing -> judgment -> enforcement -> closed; a case may be
closed from any stage (withdrawn, settled, lost) and a hearing may be adjourned to another
hearing. From filing until it closes the work order is on hold ("litigation"): the court and
counsel speak to the customer, not the collectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from arrears.kit.errors import BadInput, IllegalTransition

Stage = Literal["pre_litigation_review", "filed", "hearing", "judgment", "enforcement", "closed"]
STAGES: tuple[str, ...] = (
    "pre_litigation_review",
    "filed",
    "hearing",
    "judgment",
    "enforcement",
    "closed",
)
TRANSITIONS: dict[str, frozenset[str]] = {
    "pre_litigation_review": frozenset({"filed", "closed"}),
    "filed": frozenset({"hearing", "judgment", "closed"}),  # judgment by default, no hearing
    "hearing": frozenset({"hearing", "judgment", "closed"}),  # adjourned: another hearing
    "judgment": frozenset({"enforcement", "closed"}),
    "enforcement": frozenset({"closed"}),
    "closed": frozenset(),
}
HOLD_REASON = "litigation"
HELD_STAGES = frozenset({"filed", "hearing", "judgment", "enforcement"})
BEARERS: tuple[str, ...] = ("bank", "customer")
COST_KINDS: tuple[str, ...] = ("court_fee", "lawyer_fee", "enforcement_fee", "service_fee", "other")


def check_move(current: str, target: str) -> None:
    """Raise ``IllegalTransition`` (or ``BadInput`` for an unknown stage) unless legal."""
    if target not in STAGES:
        raise BadInput(f"unknown legal stage {target!r}; known: {', '.join(STAGES)}")
    if target not in TRANSITIONS[current]:
        allowed = [s for s in STAGES if s in TRANSITIONS[current]]
        raise IllegalTransition(
            f"a legal case cannot move from {current} to {target}; from {current} it may move "
            f"to: {', '.join(allowed) or 'none (closed is final)'}",
            detail={"from": current, "to": target, "allowed": allowed},
        )


def hold_for(stage: str) -> str | None:
    """The hold reason a stage places on the work order (None: the case is worked as usual)."""
    return HOLD_REASON if stage in HELD_STAGES else None


@dataclass(frozen=True)
class Cost:
    kind: str
    amount: Decimal
    borne_by: str  # bank / customer


@dataclass(frozen=True)
class CostLine:
    """The itemised line legal costs add to what the customer owes (zero when none may)."""

    amount: Decimal
    explanation: dict[str, str]


def cost_line(costs: Iterable[Cost], *, profile_allows: bool, profile: str) -> CostLine:
    """Costs the customer bears, added only where the fee profile allows it; the bank's own
    costs never are. A separate line: the breakdown itself is not changed."""
    rows = list(costs)
    customer = sum((c.amount for c in rows if c.borne_by == "customer"), Decimal("0.00"))
    if not profile_allows or customer == 0:
        why = (
            f"the fee profile {profile} does not add legal costs to the balance"
            if customer and not profile_allows
            else "no legal costs borne by the customer"
        )
        return CostLine(Decimal("0.00"), {"en": why, "zh-CN": "无可计入余额的诉讼费用"})
    kinds = sorted({c.kind for c in rows if c.borne_by == "customer"})
    return CostLine(
        customer,
        {
            "en": f"legal costs borne by the customer ({', '.join(kinds)})",
            "zh-CN": f"由客户承担的诉讼费用（{', '.join(kinds)}）",
        },
    )
