"""The promises-and-plans policy (YAML, shipped in ``promises/policies``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.kit import config_file


class PromiseRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    grace_days: int = Field(default=3, ge=0, le=60)
    kept_ratio: Decimal = Field(default=Decimal("1.00"), gt=0, le=1)
    partial_ratio: Decimal = Field(default=Decimal("0.50"), gt=0, le=1)
    follow_up_days: int = Field(default=1, ge=0, le=30)

    @model_validator(mode="after")
    def _ratios(self) -> PromiseRules:
        if self.partial_ratio > self.kept_ratio:
            raise ValueError("partial_ratio must not exceed kept_ratio")
        return self


class PlanRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_instalments: int = Field(default=36, ge=1, le=120)
    grace_days: int = Field(default=3, ge=0, le=60)
    max_missed: int = Field(default=2, ge=1, le=12)
    # The least share of what the case owes that a plan may cover (1.00: all of it).
    min_cover: Decimal = Field(default=Decimal("1.00"), gt=0, le=1)


class SettlementRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_discount: Decimal = Field(default=Decimal("0.50"), ge=0, lt=1)


class ApprovalLevel(BaseModel):
    """One level of the approval chain: a role and the largest amount at stake it may approve
    (``null``: no limit, the top of the chain)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str = Field(min_length=1)
    up_to: Decimal | None = Field(default=None, gt=0)


class ApprovalRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    plan_auto_approve_up_to: Decimal = Field(default=Decimal("20000"), ge=0)
    plan_auto_approve_max_instalments: int = Field(default=12, ge=1, le=120)
    settlement_auto_approve_up_to: Decimal = Field(default=Decimal("0"), ge=0)
    # Lowest level first; a proposal goes to the levels whose limit covers it.
    chain: tuple[ApprovalLevel, ...] = (
        ApprovalLevel(role="team_lead", up_to=Decimal("200000")),
        ApprovalLevel(role="head_of_collections", up_to=None),
    )

    @model_validator(mode="after")
    def _every_request_has_an_approver(self) -> ApprovalRules:
        if not self.chain:
            raise ValueError("the approval chain names no role: nobody could approve anything")
        roles = [level.role for level in self.chain]
        if len(set(roles)) != len(roles):
            raise ValueError(f"a role appears twice in the approval chain ({', '.join(roles)})")
        *lower, top = self.chain
        if top.up_to is not None:
            raise ValueError(
                f"the approval chain ends at {top.role} (up to {top.up_to}): a proposal above it "
                "would have nobody to approve it; add a top level with no limit (up_to: null)"
            )
        limits = [level.up_to for level in lower]
        if any(limit is None for limit in limits):
            raise ValueError("only the top of the approval chain may have no limit")
        if limits != sorted(limits) or len(set(limits)) != len(limits):  # type: ignore[type-var]
            raise ValueError("the approval chain's limits must rise from one level to the next")
        if limits and self.plan_auto_approve_up_to > limits[0]:  # type: ignore[operator]
            raise ValueError(
                f"plan_auto_approve_up_to ({self.plan_auto_approve_up_to}) is above what the "
                f"first approver ({lower[0].role}, {limits[0]}) may approve"
            )
        return self

    def limit_of(self, role: str) -> tuple[bool, Decimal | None]:
        """(whether the role is in the chain, its limit: ``None`` for no limit)."""
        for level in self.chain:
            if level.role == role:
                return True, level.up_to
        return False, None


class OfferRules(BaseModel):
    """Which plan options an account qualifies for (the intermediate negotiation script)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instalment_counts: list[int] = Field(default_factory=lambda: [3, 6, 12])
    min_instalment: Decimal = Field(default=Decimal("100.00"), gt=0)
    settlement_from_dpd: int = Field(default=91, ge=0)
    settlement_discount: Decimal = Field(default=Decimal("0.20"), ge=0, lt=1)


class SelfServiceRules(BaseModel):
    """What a customer may arrange alone in the self-service portal: the same rules as a
    collector's, inside these tighter bounds (a longer date is a conversation with us)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The latest date a customer may promise, in days from today (a collector may go to 90).
    promise_max_days: int = Field(default=30, ge=0, le=90)
    # The latest first instalment of a plan the customer chooses, in days from today.
    plan_first_due_max_days: int = Field(default=30, ge=0, le=90)
    # A settlement offer accepted in the portal is paid within this many days.
    settlement_pay_days: int = Field(default=14, ge=0, le=90)


class PromisePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    promise: PromiseRules = PromiseRules()
    self_service: SelfServiceRules = SelfServiceRules()
    offers: OfferRules = OfferRules()
    plan: PlanRules = PlanRules()
    settlement: SettlementRules = SettlementRules()
    approval: ApprovalRules = ApprovalRules()


def load_promise_policy(name_or_path: str = "default") -> PromisePolicy:
    """Load a shipped policy by name or a YAML file by path; errors name the field."""
    return config_file.load(
        PromisePolicy, Path(__file__).parent / "policies", name_or_path, "promise policy"
    )
