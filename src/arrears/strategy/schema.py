"""The strategy file: segments, a points score, decision rules and champion/challenger arms.

Pure pydantic: the engine compiles a validated ``Strategy`` to Ibis expressions
(``arrears.strategy.compile``). Checks that need the whole file (ranges that overlap or leave a
gap, references to undeclared queues, segments or arms) live in ``semantic_errors`` so each can
name the exact field, and the loader can add the YAML line.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from arrears.vocabulary import CustomerFlag, Level, Treatment

IDENTITY_CATEGORIES = (
    "civil_servant",
    "soe_employee",
    "private_employee",
    "self_employed",
    "student",
    "retiree",
    "unemployed",
    "unknown",
)

IdentityCategory = Literal[
    "civil_servant",
    "soe_employee",
    "private_employee",
    "self_employed",
    "student",
    "retiree",
    "unemployed",
    "unknown",
]
# Integer inputs a score factor may band (money is banded on whole currency units, floored).
NumericInput = Literal[
    "dpd", "age", "credit_limit", "amount_due", "balance", "months_late_12m", "broken_promises"
]
CategoricalInput = Literal["identity_category", "occupation", "region_tier", "segment", "bucket"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """Inclusive bounds; a missing bound is open."""

    min: Decimal | None = None
    max: Decimal | None = None


class Band(_Strict):
    """One integer band ``min..max`` (inclusive); ``max: null`` is open-ended (last band only)."""

    min: int = Field(ge=0)
    max: int | None = Field(default=None, ge=0)


class NamedBand(Band):
    name: str = Field(min_length=1, max_length=32)


class PointsBand(Band):
    points: int


class Queue(_Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$")
    description: str = ""


class RegionTier(_Strict):
    """Cities (or whole provinces) of one tier; names as the extract spells them."""

    tier: int = Field(ge=1, le=9)
    cities: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()


class SegmentWhen(_Strict):
    """The "look" step: who the customer is. Every field present must match (AND)."""

    occupation: tuple[str, ...] | None = None
    identity_category: tuple[IdentityCategory, ...] | None = None
    age_band: tuple[str, ...] | None = None
    region_tier: tuple[int, ...] | None = None
    credit_limit: Range | None = None
    months_late_12m: Range | None = None
    product: tuple[str, ...] | None = None


class Segment(_Strict):
    code: str = Field(min_length=1, max_length=32)
    tier: int = Field(ge=1, le=9)
    description: str = ""
    when: SegmentWhen = SegmentWhen()


class NumericFactor(_Strict):
    input: NumericInput
    bands: tuple[PointsBand, ...] = Field(min_length=1)


class CategoricalFactor(_Strict):
    input: CategoricalInput
    values: dict[str, int] = Field(min_length=1)
    default: int = 0


class Score(_Strict):
    """The score the bands read: ``points`` (``base`` plus the points of every factor, never below
    0) or ``model`` (the trained model's propensity to pay, 0..1000; ``base``/``factors`` unused).
    """

    source: Literal["points", "model"] = "points"
    base: int = 0
    factors: tuple[
        Annotated[NumericFactor | CategoricalFactor, Field(discriminator="input")], ...
    ] = ()
    bands: tuple[NamedBand, ...] = Field(min_length=1)


class RuleWhen(_Strict):
    """Inputs of a decision rule. Every field present must match (AND)."""

    bucket: tuple[str, ...] | None = None
    segment: tuple[str, ...] | None = None
    tier: tuple[int, ...] | None = None
    score_band: tuple[str, ...] | None = None
    flags: tuple[CustomerFlag, ...] | None = Field(default=None, description="any of these flags")
    without_flags: tuple[CustomerFlag, ...] | None = Field(
        default=None, description="none of these"
    )
    previous_level: tuple[Level | Literal["none"], ...] | None = None
    broken_promises: Range | None = None
    problem_customer: bool | None = None
    dpd: Range | None = None
    amount_due: Range | None = None
    arm: tuple[str, ...] | None = None


class Rule(_Strict):
    name: str = Field(min_length=1, max_length=64)
    when: RuleWhen = RuleWhen()
    level: Level
    treatments: tuple[Treatment, ...] = Field(min_length=1)
    queue: str
    priority: int = Field(ge=0, le=1000)


class Arm(_Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$")
    percent: int = Field(ge=0, le=100)


class Experiment(_Strict):
    """Champion/challenger: the first arm is the champion; percentages add up to 100.

    ``population`` says who the test is measured on: ``targeted`` (the accounts a rule naming an
    arm would take, whatever their arm: the same population in every arm) or ``book`` (every
    account of the book).
    """

    test: str = Field(min_length=1, max_length=64)
    population: Literal["targeted", "book"] = "targeted"
    arms: tuple[Arm, ...] = Field(min_length=1)


class Strategy(_Strict):
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    never_downgrade: bool = Field(
        default=True, description="an open case never drops to a lower level while delinquent"
    )
    queues: tuple[Queue, ...] = Field(min_length=1)
    age_bands: tuple[NamedBand, ...] = Field(min_length=1)
    region_tiers: tuple[RegionTier, ...] = ()
    default_region_tier: int = Field(default=3, ge=1, le=9)
    segments: tuple[Segment, ...] = Field(min_length=1)
    score: Score
    rules: tuple[Rule, ...] = Field(min_length=1)
    experiment: Experiment | None = None

    @property
    def arm_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.experiment.arms) if self.experiment else ("champion",)

    @property
    def test_rules(self) -> tuple[Rule, ...]:
        """The rules that treat an arm differently: who they would take is the test's population."""
        return tuple(r for r in self.rules if r.when.arm is not None)


Loc = tuple[str | int, ...]


def _band_errors(bands: tuple[Band, ...], where: Loc) -> list[tuple[Loc, str]]:
    """Bands must start at 0, follow each other without overlap or gap, and end open."""
    errors: list[tuple[Loc, str]] = []
    if bands[0].min != 0:
        errors.append(((*where, 0, "min"), f"missing range 0..{bands[0].min - 1}"))
    for i, band in enumerate(bands):
        if band.max is not None and band.max < band.min:
            errors.append(((*where, i, "max"), f"max {band.max} is below min {band.min}"))
        if i == 0:
            continue
        prev = bands[i - 1]
        if prev.max is None:
            errors.append(((*where, i - 1, "max"), "only the last range may be open-ended"))
            continue
        if band.min <= prev.max:
            errors.append(
                ((*where, i, "min"), f"overlaps the previous range (..{prev.max}): {band.min}")
            )
        elif band.min > prev.max + 1:
            errors.append(((*where, i, "min"), f"missing range {prev.max + 1}..{band.min - 1}"))
    if bands[-1].max is not None:
        errors.append(
            ((*where, len(bands) - 1, "max"), f"missing range above {bands[-1].max}: end open")
        )
    return errors


def _unique(names: list[str], where: Loc, what: str) -> list[tuple[Loc, str]]:
    seen: set[str] = set()
    out: list[tuple[Loc, str]] = []
    for i, n in enumerate(names):
        if n in seen:
            out.append(((*where, i), f"duplicate {what} {n!r}"))
        seen.add(n)
    return out


def semantic_errors(s: Strategy, bucket_names: tuple[str, ...]) -> list[tuple[Loc, str]]:
    """Whole-file checks; each error is (location, message) with the location as in pydantic."""
    errors: list[tuple[Loc, str]] = []
    queues = [q.name for q in s.queues]
    errors += _unique(queues, ("queues",), "queue")
    errors += _band_errors(s.age_bands, ("age_bands",))
    errors += _unique([b.name for b in s.age_bands], ("age_bands",), "age band")
    errors += _band_errors(s.score.bands, ("score", "bands"))
    errors += _unique([b.name for b in s.score.bands], ("score", "bands"), "score band")
    for i, f in enumerate(s.score.factors):
        if isinstance(f, NumericFactor):
            errors += _band_errors(f.bands, ("score", "factors", i, "bands"))
    age_names = {b.name for b in s.age_bands}
    band_names = {b.name for b in s.score.bands}
    segments = {g.code for g in s.segments}
    errors += _unique([g.code for g in s.segments], ("segments",), "segment")
    for i, g in enumerate(s.segments):
        for j, a in enumerate(g.when.age_band or ()):
            if a not in age_names:
                errors.append((("segments", i, "when", "age_band", j), f"unknown age band {a!r}"))
    if s.segments[-1].when != SegmentWhen():
        errors.append((("segments", len(s.segments) - 1, "when"), _CATCH_ALL.format("segment")))
    arms = set(s.arm_names)
    for i, r in enumerate(s.rules):
        at: Loc = ("rules", i)
        if r.queue not in queues:
            errors.append(((*at, "queue"), f"unknown queue {r.queue!r} (declare it in queues)"))
        for field, known in (
            ("bucket", set(bucket_names)),
            ("segment", segments),
            ("score_band", band_names),
            ("arm", arms),
        ):
            for j, v in enumerate(getattr(r.when, field) or ()):
                if v not in known:
                    errors.append(((*at, "when", field, j), f"unknown {field} {v!r}"))
    errors += _unique([r.name for r in s.rules], ("rules",), "rule")
    if s.rules[-1].when != RuleWhen():
        errors.append((("rules", len(s.rules) - 1, "when"), _CATCH_ALL.format("rule")))
    if s.experiment:
        total = sum(a.percent for a in s.experiment.arms)
        if total != 100:
            errors.append((("experiment", "arms"), f"arm percentages add up to {total}, not 100"))
        errors += _unique([a.name for a in s.experiment.arms], ("experiment", "arms"), "arm")
        if s.experiment.population == "targeted" and not s.test_rules:
            errors.append(
                (
                    ("experiment", "population"),
                    "no rule names an arm, so the test targets nobody: add `arm` to a rule's "
                    "`when`, or set `population: book` to measure it over the whole book",
                )
            )
    return errors


_CATCH_ALL = "missing: the last {} must match every account (an empty `when`)"
