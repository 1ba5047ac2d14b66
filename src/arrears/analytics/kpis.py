"""Collector KPIs over plain rows: attempts, right-party contact, promises, recovery, compliance.

Definitions (the usual collections ones):
- ``rpc_rate`` = right-party contacts / attempts;
- ``promise_rate`` = promises taken (recorded promises, or calls with a promise outcome if
  more) / right-party contacts;
- ``promise_kept_rate`` = kept / (kept + broken + partially kept) (pending ones are not judged);
- ``recovered`` = money received against the collector's promises;
- ``compliance_blocks`` / ``overrides`` = attempts the compliance engine blocked / that an officer
  let through;
- ``self_service_share`` = promises (plans, settlements) the customer made himself in the
  self-service portal / all promises (plans, settlements) made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")
TOTAL = "(all)"
NOT_KEPT = ("broken", "partially_kept")


@dataclass(frozen=True)
class AttemptRow:
    """Attempts made (``count`` of them, so a grouped query can feed this directly)."""

    collector: str
    right_party: bool
    promise: bool
    count: int = 1


@dataclass(frozen=True)
class PromiseRow:
    collector: str
    status: str  # kept; broken or partially_kept (not kept); anything else is not yet judged
    count: int = 1


@dataclass(frozen=True)
class ComplianceRow:
    collector: str
    outcome: str  # blocked / overridden / allowed
    count: int = 1


@dataclass(frozen=True)
class RecoveryRow:
    collector: str
    amount: Decimal


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def collector_kpis(
    *,
    attempts: Iterable[AttemptRow] = (),
    promises: Iterable[PromiseRow] = (),
    compliance: Iterable[ComplianceRow] = (),
    recoveries: Iterable[RecoveryRow] = (),
) -> list[dict[str, Any]]:
    """One row per collector (sorted), then a total row named ``(all)``."""
    zero = {
        "attempts": 0,
        "right_party": 0,
        "promises": 0,
        "taken": 0,
        "kept": 0,
        "broken": 0,
        "blocks": 0,
        "overrides": 0,
    }
    counts: dict[str, dict[str, int]] = {}
    money: dict[str, Decimal] = {}

    def bump(who: str, key: str, n: int) -> None:
        counts.setdefault(who, dict(zero))[key] += n

    for a in attempts:
        bump(a.collector, "attempts", a.count)
        if a.right_party:
            bump(a.collector, "right_party", a.count)
        if a.promise:
            bump(a.collector, "promises", a.count)
    for p in promises:
        bump(p.collector, "taken", p.count)
        if p.status == "kept":
            bump(p.collector, "kept", p.count)
        elif p.status in NOT_KEPT:
            bump(p.collector, "broken", p.count)
    for c in compliance:
        counts.setdefault(c.collector, dict(zero))
        if c.outcome == "blocked":
            bump(c.collector, "blocks", c.count)
        elif c.outcome == "overridden":
            bump(c.collector, "overrides", c.count)
    for r in recoveries:
        counts.setdefault(r.collector, dict(zero))
        money[r.collector] = money.get(r.collector, ZERO) + r.amount

    for tally in counts.values():
        # A promise is taken on the promise form or logged as a call's outcome, usually both:
        # the larger of the two counts, so neither a call logged "right party" before the
        # promise form nor a promise outcome with no form leaves the rate at zero.
        tally["promises"] = max(tally["promises"], tally.pop("taken"))
    zero.pop("taken")
    total = {k: sum(c[k] for c in counts.values()) for k in zero}
    rows = [(who, counts[who], money.get(who, ZERO)) for who in sorted(counts)]
    if rows:
        rows.append((TOTAL, total, sum(money.values(), ZERO)))
    return [
        {
            "collector": who,
            "attempts": c["attempts"],
            "right_party_contacts": c["right_party"],
            "rpc_rate": _rate(c["right_party"], c["attempts"]),
            "promises": c["promises"],
            "promise_rate": _rate(c["promises"], c["right_party"]),
            "promises_kept": c["kept"],
            "promises_broken": c["broken"],
            "promise_kept_rate": _rate(c["kept"], c["kept"] + c["broken"]),
            "recovered": amount,
            "compliance_blocks": c["blocks"],
            "compliance_overrides": c["overrides"],
        }
        for who, c, amount in rows
    ]


# --- self-service: what customers arranged themselves in the portal ------------------------------

ARRANGEMENT_KINDS = ("promise", "plan", "settlement")


@dataclass(frozen=True)
class ArrangementRow:
    """Arrangements made (``count`` of them): a promise, a plan or a settlement, and whether
    the customer made it himself (the portal) or a collector did."""

    kind: str
    self_service: bool
    count: int = 1


def self_service_share(rows: Iterable[ArrangementRow]) -> list[dict[str, Any]]:
    """One row per kind (promise, plan, settlement) and a total: made, of them by the customer,
    and the share (None when none was made)."""
    made = dict.fromkeys(ARRANGEMENT_KINDS, 0)
    by_customer = dict.fromkeys(ARRANGEMENT_KINDS, 0)
    for r in rows:
        made[r.kind] = made.get(r.kind, 0) + r.count
        by_customer.setdefault(r.kind, 0)
        if r.self_service:
            by_customer[r.kind] += r.count
    kinds = [*ARRANGEMENT_KINDS, *sorted(set(made) - set(ARRANGEMENT_KINDS))]
    out = [
        {
            "kind": k,
            "made": made[k],
            "self_service": by_customer[k],
            "self_service_share": _rate(by_customer[k], made[k]),
        }
        for k in kinds
    ]
    all_made, all_self = sum(made.values()), sum(by_customer.values())
    out.append(
        {
            "kind": TOTAL,
            "made": all_made,
            "self_service": all_self,
            "self_service_share": _rate(all_self, all_made),
        }
    )
    return out
