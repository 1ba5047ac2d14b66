"""Fee schedules: late/breach fees and penalty interest, as YAML profiles validated by pydantic.

Shipped profiles live in ``arrears/delinquency/schedules/``: ``cn-card`` (default), ``us-card``,
``generic``. A bank copies one and edits it, or writes ``extends: cn-card`` and overrides only
the values that differ. Each profile also says where interest and fees stop (``accrual``: a
charge-off or non-accrual day count, a cap on charges) and which past-due amounts are too small
to open a case (``small_balance``).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from arrears.kit import wording
from arrears.kit.errors import BadInput
from arrears.kit.money import round_money, to_decimal


def _decimal(value: object) -> object:
    # YAML reads 0.05 as a float; go through repr so 0.05 stays 0.05, never 0.05000000000000000277.
    if isinstance(value, float | int | str) and not isinstance(value, bool):
        try:
            return to_decimal(value)
        except ValueError:
            return value  # let pydantic report it against the field
    return value


Amount = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0)]
Rate = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=1)]


class Label(BaseModel):
    """What the charge is called, in each language of the breakdown."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    en: str = Field(min_length=1)
    zh_cn: str = Field(min_length=1, alias="zh-CN")


class PercentFee(BaseModel):
    """``rate`` x the statement's unpaid minimum, clamped to ``[floor, cap]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["percent"]
    label: Label
    rate: Rate
    floor: Amount = Decimal("0")
    cap: Amount | None = None

    @model_validator(mode="after")
    def _floor_below_cap(self) -> PercentFee:
        if self.cap is not None and self.floor > self.cap:
            raise ValueError(f"floor ({self.floor}) is above cap ({self.cap})")
        return self


class FixedFee(BaseModel):
    """``amount`` per past-due statement, at most ``cap`` and never more than the unpaid minimum."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["fixed"]
    label: Label
    amount: Amount
    cap: Amount | None = None


class InterestRule(BaseModel):
    """Simple daily interest on the unpaid principal for each day past due; never on fees."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Label
    daily_rate: Rate | None = None
    annual_rate: Rate | None = None
    days_in_year: int = Field(default=365, ge=360, le=366)

    @model_validator(mode="after")
    def _one_rate(self) -> InterestRule:
        if (self.daily_rate is None) == (self.annual_rate is None):
            raise ValueError("give exactly one of daily_rate and annual_rate")
        return self

    def accrue(self, principal: Decimal, days: int) -> Decimal:
        """Unrounded interest: the rate is applied once, so daily and annual forms agree."""
        if self.daily_rate is not None:
            return principal * self.daily_rate * days
        assert self.annual_rate is not None
        return principal * self.annual_rate * days / self.days_in_year


class AccrualStop(BaseModel):
    """After ``after_dpd`` days past due no more interest or fees accrue to the account.

    ``charge_off``: the receivable is written off (us-card: 180 days, FFIEC policy);
    ``non_accrual``: it stays on the books but accrues nothing more (cn-card).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["charge_off", "non_accrual"]
    after_dpd: int = Field(ge=1, le=100_000)
    label: Label


class AccrualPolicy(BaseModel):
    """Where accrual stops: a day count (``stop``) and a cap on interest plus fees.

    ``cap_ratio``: interest plus fees are at most this multiple of the unpaid principal; null
    means no cap. Both null: interest and fees accrue for as long as the account is past due.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    stop: AccrualStop | None = None
    cap_ratio: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=1000)] | None = None


class FeeSchedule(BaseModel):
    """One profile: the late/breach fee and the penalty interest of a card product, where they
    stop, and the past-due amount below which no case is opened."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    late_fee: Annotated[PercentFee | FixedFee, Field(discriminator="kind")]
    interest: InterestRule
    accrual: AccrualPolicy = AccrualPolicy()
    # An account whose amount past due is at or below this is not worked (no case), though it
    # still ages and is priced. 0: any amount past due is worked.
    small_balance: Amount = Decimal("0")
    # Legal costs the customer bears (a court's award) go onto the balance as their own line
    # only where the card agreement and the law allow it; off by default.
    legal_costs_to_balance: bool = False

    def interest_days(self, dpd: int, since: int | None = None) -> int:
        """The days past due that bear interest: none after the stop, and (with ``since``, the
        days from the itemization date to the as-of date) none on or before that date, whose
        interest the statement balance already holds."""
        stop = self.accrual.stop
        days = dpd if stop is None else min(dpd, stop.after_dpd)
        if since is None:
            return days
        # Past due from as_of - dpd; the days before the itemization date are dpd - since.
        return max(0, days - max(0, dpd - since))

    def stopped_on(self, as_of: date, dpd: int) -> date | None:
        """The day accrual stopped (the account reached the stop's day count), or None."""
        stop = self.accrual.stop
        if stop is None or dpd < stop.after_dpd:
            return None
        return as_of - timedelta(days=dpd - stop.after_dpd)

    def accrues_fee(self, due_date: date, as_of: date, dpd: int) -> bool:
        """Whether a statement due on ``due_date`` attracts a fee: it fell due before the stop.

        The stop date is ``as_of - dpd + after_dpd`` (the day the account reached the stop).
        """
        stop = self.accrual.stop
        return stop is None or (as_of - due_date).days > dpd - stop.after_dpd

    def charges_cap(self, unpaid_principal: Decimal, currency: str) -> Decimal | None:
        """The most interest plus fees may come to, rounded once; None without a cap."""
        ratio = self.accrual.cap_ratio
        if ratio is None:
            return None
        return round_money(ratio * max(unpaid_principal, Decimal("0")), currency)

    def collectible(self, dpd: int, amount_past_due: Decimal) -> bool:
        """Worth a case: past due, by more than the small-balance threshold."""
        return dpd > 0 and amount_past_due > self.small_balance

    def fee_for(self, unpaid: Decimal, currency: str) -> Decimal:
        """The fee one past-due statement attracts, rounded to the currency's minor unit."""
        if unpaid <= 0:
            return Decimal("0")
        rule = self.late_fee
        if isinstance(rule, PercentFee):
            fee = max(round_money(rule.rate * unpaid, currency), rule.floor)
            if rule.cap is not None:
                fee = min(fee, rule.cap)
            return round_money(fee, currency)
        fee = min(rule.amount, unpaid)
        if rule.cap is not None:
            fee = min(fee, rule.cap)
        return round_money(fee, currency)

    def interest_for(
        self, principal: Decimal, dpd: int, currency: str, *, since: int | None = None
    ) -> Decimal:
        """Penalty interest on ``principal`` for the interest-bearing days of ``dpd`` (after the
        itemization date, with ``since``), rounded once (before any cap on charges)."""
        days = self.interest_days(dpd, since)
        if principal <= 0 or days <= 0:
            return Decimal("0")
        return round_money(self.interest.accrue(principal, days), currency)


def charge_terms(schedule: FeeSchedule, locale: str, currency: str) -> dict[str, str]:
    """How each charge builds up, for the scripts: the interest accrues day by day on the
    unpaid principal; the fee is charged once per statement whose minimum is unpaid at its due
    date (never daily). Names, rate and rule in ``locale`` (``en`` or ``zh-CN``)."""
    zh = locale == "zh-CN"
    rule, interest = schedule.late_fee, schedule.interest
    if interest.daily_rate is not None:
        rate = wording.percent(interest.daily_rate, locale)
        interest_rate = f"日利率{rate}" if zh else f"{rate} a day"
    else:
        assert interest.annual_rate is not None
        rate = wording.percent(interest.annual_rate, locale)
        interest_rate = f"年利率{rate}" if zh else f"{rate} a year"
    if isinstance(rule, PercentFee):
        rate = wording.percent(rule.rate, locale)
        fee_rule = (
            f"该期未还最低还款额的{rate}" if zh else f"{rate} of that statement's unpaid minimum"
        )
        if rule.floor > 0:
            floor = wording.amount(rule.floor, currency, locale)
            fee_rule += f"，最低{floor} {currency}" if zh else f", at least {floor} {currency}"
    else:
        fixed = wording.amount(rule.amount, currency, locale)
        fee_rule = f"每期{fixed} {currency}" if zh else f"{fixed} {currency}"
    if rule.cap is not None:
        cap = wording.amount(rule.cap, currency, locale)
        fee_rule += f"，封顶{cap} {currency}" if zh else f", at most {cap} {currency}"
    return {
        "interest_name": interest.label.zh_cn if zh else interest.label.en,
        "interest_rate": interest_rate,
        "fee_name": rule.label.zh_cn if zh else rule.label.en,
        "fee_rule": fee_rule,
    }


def _schedules_dir() -> Any:
    return resources.files("arrears.delinquency").joinpath("schedules")


def shipped_schedules() -> tuple[str, ...]:
    """Names of the profiles shipped in the package."""
    return tuple(
        sorted(
            p.name.removesuffix(".yaml")
            for p in _schedules_dir().iterdir()
            if p.name.endswith(".yaml")
        )
    )


def load_fee_schedule(name_or_path: str) -> FeeSchedule:
    """Load a shipped profile by name (``cn-card``) or a YAML file by path.

    Raises ``BadInput`` naming the file, the field and its line.
    """
    return _load(name_or_path, seen=())


def _read(name_or_path: str) -> tuple[str, str]:
    if name_or_path in shipped_schedules():
        text = _schedules_dir().joinpath(f"{name_or_path}.yaml").read_text("utf-8")
        return name_or_path, text
    path = Path(name_or_path)
    if not path.is_file():
        known = ", ".join(shipped_schedules())
        raise BadInput(f"no fee schedule {name_or_path!r}: not a file, nor one of {known}")
    try:
        return str(path), path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read fee schedule {path}: {exc}") from exc


def _load(name_or_path: str, *, seen: tuple[str, ...]) -> FeeSchedule:
    source, text = _read(name_or_path)
    try:
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInput(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise BadInput(f"{source}: a fee schedule is a mapping of fields, got {type(raw).__name__}")
    base = raw.pop("extends", None)
    if base is not None:
        if not isinstance(base, str) or base in seen or base == name_or_path:
            raise BadInput(f"{source}: extends: must name another schedule, got {base!r}")
        parent = _load(base, seen=(*seen, name_or_path)).model_dump(by_alias=True)
        raw = _merge(parent, raw)
    try:
        return FeeSchedule.model_validate(raw)
    except ValidationError as exc:
        raise BadInput(f"{source}: " + "; ".join(_describe(e, root) for e in exc.errors())) from exc


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    # A different fee kind replaces the base's rule rather than mixing fields of both kinds.
    fee, base_fee = override.get("late_fee"), base.get("late_fee")
    if (
        isinstance(fee, dict)
        and isinstance(base_fee, dict)
        and fee.get("kind", base_fee.get("kind")) != base_fee.get("kind")
    ):
        merged["late_fee"] = fee
    return merged


def _describe(error: Any, root: yaml.Node | None) -> str:
    # Drop pydantic's union tags ("percent") so the path reads like the file: late_fee.rate.
    loc = [str(part) for part in error["loc"] if part not in ("percent", "fixed")]
    field = ".".join(loc) or "(top level)"
    line = _line_of(root, loc)
    where = f" (line {line})" if line else ""
    return f"{field}{where}: {error['msg']}"


def _line_of(node: yaml.Node | None, loc: list[str]) -> int | None:
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if key.value == part:
                node, line = value, key.start_mark.line + 1
                break
        else:
            break
    return line
