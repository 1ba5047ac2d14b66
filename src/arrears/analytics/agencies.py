"""Agency performance, pure: each agency against the others and against in-house work on
comparable cases, and champion/challenger between agencies with the existing statistics.

A case belongs to the agency that held it (its first placement), else to ``in-house``; only
in-house cases of a bucket some agency was placed in are compared (the others are not like the
agencies' cases). Each event counts only while the case's group held it (the caller decides).
Definitions: ``contacted`` / ``promised`` = cases with a contact made / a promise taken;
``recovered`` = money paid; ``recovery_rate`` = recovered / balance of the cases;
``complaints`` = complaints recorded against the group's people; ``compliance_blocks`` =
attempts the compliance engine blocked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from arrears.analytics.champion import measure_test

IN_HOUSE = "in-house"
ZERO = Decimal("0")


@dataclass(frozen=True)
class CaseRow:
    work_order_id: int
    group: str  # an agency code, or IN_HOUSE
    bucket: str
    balance: Decimal


@dataclass(frozen=True)
class EventRow:
    """Something that happened on a case while its group held it."""

    work_order_id: int
    kind: str  # contacted / promised / blocked / paid
    amount: Decimal = ZERO


def _rate(part: Decimal | int, whole: Decimal | int) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


def comparable(cases: Iterable[CaseRow]) -> list[CaseRow]:
    """The agencies' cases and the in-house cases of a bucket some agency was placed in."""
    rows = list(cases)
    placed = {c.bucket for c in rows if c.group != IN_HOUSE}
    return [c for c in rows if c.group != IN_HOUSE or c.bucket in placed]


def performance(
    cases: Iterable[CaseRow],
    events: Iterable[EventRow],
    complaints: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """One row per group (agencies sorted, in-house last) and champion/challenger between
    agencies (the one with the most cases is the champion; pay rate, two-proportion test)."""
    rows = comparable(cases)
    group_of = {c.work_order_id: c.group for c in rows}
    paid: dict[int, Decimal] = {}
    seen: dict[str, set[int]] = {"contacted": set(), "promised": set()}
    blocks: dict[str, int] = {}
    for e in events:
        group = group_of.get(e.work_order_id)
        if group is None:
            continue
        if e.kind == "paid":
            paid[e.work_order_id] = paid.get(e.work_order_id, ZERO) + e.amount
        elif e.kind == "blocked":
            blocks[group] = blocks.get(group, 0) + 1
        elif e.kind in seen:
            seen[e.kind].add(e.work_order_id)
    groups = sorted({c.group for c in rows} - {IN_HOUSE})
    if any(c.group == IN_HOUSE for c in rows):
        groups.append(IN_HOUSE)
    table: list[dict[str, Any]] = []
    for group in groups:
        ids = [c.work_order_id for c in rows if c.group == group]
        balance = sum((c.balance for c in rows if c.group == group), ZERO)
        recovered = sum((paid.get(i, ZERO) for i in ids), ZERO)
        contacted = len(seen["contacted"].intersection(ids))
        promised = len(seen["promised"].intersection(ids))
        table.append(
            {
                "group": group,
                "cases": len(ids),
                "contacted": contacted,
                "contact_rate": _rate(contacted, len(ids)),
                "promised": promised,
                "promise_rate": _rate(promised, len(ids)),
                "recovered": recovered,
                "balance": balance,
                "recovery_rate": _rate(recovered, balance),
                "complaints": (complaints or {}).get(group, 0),
                "compliance_blocks": blocks.get(group, 0),
            }
        )
    agencies = [r for r in table if r["group"] != IN_HOUSE]
    champion = min(agencies, key=lambda r: (-r["cases"], r["group"]))["group"] if agencies else None
    outcomes = [
        {"arm": c.group, "amount": paid.get(c.work_order_id, ZERO)}
        for c in rows
        if c.group != IN_HOUSE
    ]
    arms: dict[str, Any] = (
        measure_test("agencies", outcomes, champion=champion)
        if outcomes
        else {"champion": None, "arms": [], "comparisons": []}
    )
    return {"groups": table, "champion_challenger": arms}
