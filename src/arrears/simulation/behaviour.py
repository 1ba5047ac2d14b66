"""The behaviour model: who pays, how much, who answers, who promises and keeps (pure, seeded).

Figures from ``policies/behaviour.yaml`` (the UCI calibration and the labelled assumptions).
Every draw takes a ``numpy.random.Generator`` the simulator seeds per day and per purpose, so a
seed gives the same department twice.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.kit import config_file
from arrears.simulation.calibration import BUCKETS, CURRENT_OUTCOMES, DELINQUENT_OUTCOMES

HERE = Path(__file__).parent / "policies"
Outcome = Literal["pay", "miss", "cure", "improve", "stay", "roll"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Uci(_Strict):
    source: str
    outcomes: dict[str, dict[str, int]]
    pay_ratio_quantiles: dict[str, list[float]]
    pay_ratio_samples: dict[str, int]

    @model_validator(mode="after")
    def _complete(self) -> Uci:
        if set(self.outcomes) != set(BUCKETS):
            raise ValueError(f"outcomes need every bucket {list(BUCKETS)}")
        for outcome in CURRENT_OUTCOMES + DELINQUENT_OUTCOMES:
            q = self.pay_ratio_quantiles.get(outcome)
            if q is None or len(q) < 2 or any(b < a for a, b in zip(q, q[1:], strict=False)):
                raise ValueError(f"pay_ratio_quantiles.{outcome}: ascending quantiles needed")
        return self


Share = float


class Assumptions(_Strict):
    right_party_contact: Share = Field(ge=0, le=1)
    no_contact_outcomes: dict[str, float]
    abusive_share: Share = Field(ge=0, le=1)
    disputer_share: Share = Field(ge=0, le=1)
    hardship_share: Share = Field(ge=0, le=1)
    promise_by_bucket: dict[str, Share]
    plan_offer: Share = Field(ge=0, le=1)
    settlement_offer: Share = Field(ge=0, le=1)
    promise_days: tuple[int, int]
    promise_lift: Share = Field(ge=0, le=1)
    plan_keep: Share = Field(ge=0, le=1)
    settlement_pays: Share = Field(ge=0, le=1)
    next_stop: Share = Field(ge=0, le=1)
    contact_person_after: int = Field(ge=1)
    retry_days_no_contact: int = Field(ge=1)
    retry_days_conversation: int = Field(ge=1)


class Workday(_Strict):
    cases_per_collector: int = Field(ge=0, le=500)
    start: str
    minutes_per_case: int = Field(ge=1, le=120)
    nightly_cycle: str
    morning_import: str


class Pressure(_Strict):
    """Collectors who test the limits: the compliance engine, not their restraint, stops them."""

    pushy_share: Share = Field(ge=0, le=1)
    redial: Share = Field(ge=0, le=1)
    redials_max: int = Field(ge=0, le=10)
    redial_after_cases: int = Field(ge=1, le=50)
    retry_days: int = Field(ge=1)
    early_day: Share = Field(ge=0, le=1)
    early_start: str
    late_day: Share = Field(ge=0, le=1)
    late_start: str
    late_cases: int = Field(ge=0, le=50)
    stop_ask: Share = Field(ge=0, le=1)
    after_stop: Share = Field(ge=0, le=1)
    after_dispute: Share = Field(ge=0, le=1)


NO_PRESSURE = Pressure(
    pushy_share=0,
    redial=0,
    redials_max=0,
    redial_after_cases=1,
    retry_days=1,
    early_day=0,
    early_start="09:00",
    late_day=0,
    late_start="17:00",
    late_cases=0,
    stop_ask=0,
    after_stop=0,
    after_dispute=0,
)


class Behaviour(_Strict):
    uci: Uci
    borrow_outcomes: dict[str, str] = Field(default_factory=dict)
    assumptions: Assumptions
    workday: Workday
    pressure: Pressure = NO_PRESSURE

    def outcome_shares(self, bucket: str) -> dict[str, float]:
        """The monthly outcome probabilities of an account in ``bucket`` (UCI, pooled)."""
        counts = self.uci.outcomes[self.borrow_outcomes.get(bucket, bucket)]
        total = sum(counts.values())
        if total == 0:
            return {"stay": 1.0} if bucket != "M0" else {"pay": 1.0}
        return {k: v / total for k, v in counts.items()}


def load_behaviour(name_or_path: str = "behaviour") -> Behaviour:
    """The shipped ``behaviour.yaml`` or a file; a bad file is ``BadInput`` naming the field."""
    return config_file.load(Behaviour, HERE, name_or_path, "behaviour model")


# --- draws ---------------------------------------------------------------------------------------


def draw_outcome(behaviour: Behaviour, bucket: str, rng: np.random.Generator) -> str:
    shares = behaviour.outcome_shares(bucket)
    names = list(shares)
    return str(names[int(rng.choice(len(names), p=np.asarray(list(shares.values()))))])


def draw_ratio(behaviour: Behaviour, outcome: str, rng: np.random.Generator) -> float:
    """A PAY_AMT / BILL_AMT ratio from the outcome's empirical quantiles (linear between)."""
    q = behaviour.uci.pay_ratio_quantiles[outcome]
    u = float(rng.random()) * (len(q) - 1)
    i = min(int(u), len(q) - 2)
    return q[i] + (q[i + 1] - q[i]) * (u - i)


@dataclass(frozen=True)
class Figures:
    """What an account owes, in cents, as the cycle last saw it and its newest statement."""

    balance: int  # latest closing balance net of payments since
    past_due: int  # amount past due at the last cycle
    minimum: int  # the newest statement's minimum due


def monthly_amount(
    behaviour: Behaviour, outcome: str, figures: Figures, rng: np.random.Generator
) -> int:
    """The cents the customer pays this month for ``outcome``, consistent with its meaning.

    The UCI ratio sets the size; the outcome bounds it: a cure covers at least what is past due
    plus the new minimum, a stay pays at least a minimum and less than the arrears, a roll or a
    miss pays less than one minimum (most pay nothing)."""
    ratio = draw_ratio(behaviour, outcome, rng)
    raw = int(round(ratio * max(figures.balance, 0)))
    minimum = max(figures.minimum, 0)
    owed = max(figures.past_due, 0) + minimum
    balance = max(figures.balance, owed)
    if outcome in ("pay", "cure"):
        return min(max(raw, owed), balance)
    if outcome == "improve":
        floor = min(2 * minimum, owed - 1) if owed > 1 else 0
        return max(min(max(raw, floor), owed - 1), 0)
    if outcome == "stay":
        return max(min(max(raw, minimum), owed - 1), 0)
    # miss, roll: less than one minimum
    return max(min(raw, minimum - 1), 0)


@dataclass(frozen=True)
class Traits:
    abusive: bool
    disputer: bool
    hardship: bool


def draw_traits(behaviour: Behaviour, n: int, rng: np.random.Generator) -> list[Traits]:
    a = behaviour.assumptions
    u = rng.random((n, 3))
    return [
        Traits(bool(x < a.abusive_share), bool(y < a.disputer_share), bool(z < a.hardship_share))
        for x, y, z in u.tolist()
    ]


def no_contact_outcome(behaviour: Behaviour, rng: np.random.Generator) -> str:
    shares = behaviour.assumptions.no_contact_outcomes
    names = sorted(shares)
    p = np.asarray([shares[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def reached(behaviour: Behaviour, rng: np.random.Generator) -> bool:
    return bool(rng.random() < behaviour.assumptions.right_party_contact)


def promises(behaviour: Behaviour, bucket: str, rng: np.random.Generator) -> bool:
    share = behaviour.assumptions.promise_by_bucket.get(bucket, 0.0)
    return bool(rng.random() < share)


def keeps_promise(behaviour: Behaviour, outcome: str, rng: np.random.Generator) -> str:
    """``full`` (pays the promised amount), ``intent`` (pays what he meant to) or ``none``."""
    if outcome in ("cure", "pay"):
        return "full"
    if outcome in ("improve", "stay"):
        return "intent"
    return "full" if rng.random() < behaviour.assumptions.promise_lift else "none"


def pushy(behaviour: Behaviour, codes: list[str], seed: int) -> frozenset[str]:
    """The collectors who test the limits: each drawn once per seed by their code, so a hire or
    a leaver does not change who else is pushy."""
    share = behaviour.pressure.pushy_share
    found = set()
    for code in codes:
        digest = zlib.crc32(code.encode())  # stable across processes (unlike hash())
        if np.random.default_rng([abs(seed), digest, 97]).random() < share:
            found.add(code)
    return frozenset(found)


def stops_needed(behaviour: Behaviour, rng: np.random.Generator) -> int:
    """How many of the three stops an abusive conversation takes (1..3)."""
    stops = 1
    while stops < 3 and rng.random() < behaviour.assumptions.next_stop:
        stops += 1
    return stops
