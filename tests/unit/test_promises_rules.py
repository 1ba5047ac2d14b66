from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from arrears.delinquency import PaymentFact
from arrears.kit.errors import BadInput, NotPermitted
from arrears.promises.plans import (
    Instalment,
    add_months,
    check_approver,
    check_instalments,
    needs_checker,
    plan_options,
    schedule,
    settlement_amount,
    track,
)
from arrears.promises.policy import PlanRules, PromiseRules, load_promise_policy
from arrears.promises.reconcile import PromiseFact, reconcile

RULES = PromiseRules(grace_days=3, kept_ratio=D("1.00"), partial_ratio=D("0.50"))
MADE = date(2026, 3, 1)
DUE = date(2026, 3, 10)


def _one(payments: list[PaymentFact], as_of: date, amount: str = "1000.00") -> tuple[str, D]:
    [result] = reconcile(
        promises=[PromiseFact(1, D(amount), DUE, MADE)], payments=payments, as_of=as_of, rules=RULES
    )
    return result.status, result.paid


def test_paid_in_full_on_time_is_kept_even_before_the_due_date() -> None:
    assert _one([PaymentFact(date(2026, 3, 5), D("1000.00"), "p1")], date(2026, 3, 5)) == (
        "kept",
        D("1000.00"),
    )


def test_nothing_paid_is_pending_until_grace_then_broken() -> None:
    assert _one([], DUE)[0] == "pending"
    assert _one([], DUE + timedelta(days=3))[0] == "pending"
    assert _one([], DUE + timedelta(days=4))[0] == "broken"


def test_late_within_grace_is_kept_and_after_grace_does_not_count() -> None:
    within = [PaymentFact(DUE + timedelta(days=3), D("1000.00"), "late")]
    assert _one(within, DUE + timedelta(days=10))[0] == "kept"
    after = [PaymentFact(DUE + timedelta(days=4), D("1000.00"), "too-late")]
    assert _one(after, DUE + timedelta(days=10)) == ("broken", D("0"))


def test_a_payment_before_the_promise_was_made_does_not_keep_it() -> None:
    early = [PaymentFact(MADE - timedelta(days=1), D("1000.00"), "before")]
    assert _one(early, DUE + timedelta(days=5))[0] == "broken"


def test_partial_payment_above_threshold_is_partially_kept_below_is_broken() -> None:
    at_half = [PaymentFact(date(2026, 3, 9), D("500.00"), "half")]
    assert _one(at_half, DUE + timedelta(days=5)) == ("partially_kept", D("500.00"))
    below = [PaymentFact(date(2026, 3, 9), D("499.99"), "less")]
    assert _one(below, DUE + timedelta(days=5))[0] == "broken"
    # While the grace runs, a partial payment leaves the promise pending.
    assert _one(at_half, DUE)[0] == "pending"


def test_payments_add_up_across_several_instalments_of_money() -> None:
    pays = [PaymentFact(date(2026, 3, 2), D("400.00"), "a"), PaymentFact(DUE, D("600.00"), "b")]
    [result] = reconcile(
        promises=[PromiseFact(1, D("1000.00"), DUE, MADE)], payments=pays, as_of=DUE, rules=RULES
    )
    assert result.status == "kept"
    assert result.references == ("a", "b")
    assert result.settled_on == DUE


def test_over_payment_flows_to_the_next_promise() -> None:
    promises = [
        PromiseFact(1, D("300.00"), date(2026, 3, 10), MADE),
        PromiseFact(2, D("300.00"), date(2026, 3, 20), MADE),
    ]
    pays = [PaymentFact(date(2026, 3, 8), D("600.00"), "big")]
    results = reconcile(promises=promises, payments=pays, as_of=date(2026, 3, 30), rules=RULES)
    assert [(r.id, r.status, r.paid) for r in results] == [
        (1, "kept", D("300.00")),
        (2, "kept", D("300.00")),
    ]


def test_several_promises_are_filled_oldest_due_first() -> None:
    promises = [
        PromiseFact(2, D("500.00"), date(2026, 3, 20), MADE),
        PromiseFact(1, D("500.00"), date(2026, 3, 10), MADE),
    ]
    pays = [PaymentFact(date(2026, 3, 9), D("500.00"), "one")]
    results = reconcile(promises=promises, payments=pays, as_of=date(2026, 3, 30), rules=RULES)
    assert [(r.id, r.status) for r in results] == [(1, "kept"), (2, "broken")]


def test_a_payment_after_as_of_is_not_seen() -> None:
    pays = [PaymentFact(date(2026, 3, 9), D("1000.00"), "future")]
    assert _one(pays, date(2026, 3, 8))[0] == "pending"


@given(
    amounts=st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=6),
    pays=st.lists(st.integers(min_value=1, max_value=100_000), max_size=6),
)
def test_reconciliation_never_applies_more_than_was_paid(
    amounts: list[int], pays: list[int]
) -> None:
    promises = [
        PromiseFact(i, D(a) / 100, MADE + timedelta(days=5 * i), MADE)
        for i, a in enumerate(amounts)
    ]
    payments = [
        PaymentFact(MADE + timedelta(days=i), D(p) / 100, f"r{i}") for i, p in enumerate(pays)
    ]
    results = reconcile(promises=promises, payments=payments, as_of=date(2026, 6, 1), rules=RULES)
    applied = sum((r.paid for r in results), D(0))
    assert applied <= sum((p.amount for p in payments), D(0))
    for r, p in zip(results, sorted(promises, key=lambda p: p.due_on), strict=True):
        assert r.paid <= p.amount
        assert r.status in {"kept", "partially_kept", "broken"}


# --- plans ------------------------------------------------------------------------------------


@given(
    cents=st.integers(min_value=1, max_value=10**11),
    n=st.integers(min_value=1, max_value=36),
    frequency=st.sampled_from(["weekly", "biweekly", "monthly"]),
    first=st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)),
)
def test_a_schedule_sums_to_the_cent_and_instalments_differ_by_at_most_a_cent(
    cents: int, n: int, frequency: str, first: date
) -> None:
    total = D(cents) / 100
    if cents < n:
        with pytest.raises(BadInput):
            schedule(total=total, n=n, first_due=first, frequency=frequency)
        return
    plan = schedule(total=total, n=n, first_due=first, frequency=frequency)
    assert sum((i.amount for i in plan), D(0)) == total
    assert len(plan) == n
    assert max(i.amount for i in plan) - min(i.amount for i in plan) <= D("0.01")
    assert all(i.amount == i.amount.quantize(D("0.01")) for i in plan)
    dues = [i.due_on for i in plan]
    assert dues == sorted(dues)
    assert len(set(dues)) == n
    assert dues[0] == first


def test_monthly_dates_clamp_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    plan = schedule(total=D("90.00"), n=3, first_due=date(2026, 1, 31), frequency="monthly")
    assert [i.due_on for i in plan] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]


def test_a_plan_that_does_not_sum_is_refused_with_the_difference() -> None:
    rules = PlanRules()
    bad = [Instalment(1, date(2026, 4, 1), D("50.00")), Instalment(2, date(2026, 5, 1), D("49.00"))]
    with pytest.raises(BadInput, match=r"difference 1\.00"):
        check_instalments(total=D("100.00"), instalments=bad, rules=rules, today=date(2026, 3, 1))


def test_a_plan_starting_in_the_past_is_refused() -> None:
    inst = [Instalment(1, date(2026, 2, 1), D("100.00"))]
    with pytest.raises(BadInput, match="in the past"):
        check_instalments(
            total=D("100.00"), instalments=inst, rules=PlanRules(), today=date(2026, 3, 1)
        )


def test_plan_tracking_marks_kept_and_missed_and_breaks_after_n_misses() -> None:
    rules = PlanRules(grace_days=2, max_missed=2)
    plan = schedule(total=D("300.00"), n=3, first_due=date(2026, 4, 1), frequency="monthly")
    start = date(2026, 3, 20)
    paid_first = [PaymentFact(date(2026, 4, 2), D("100.00"), "i1")]
    t = track(
        instalments=plan, payments=paid_first, started_on=start, as_of=date(2026, 5, 4), rules=rules
    )
    assert [r.status for r in t.instalments] == ["kept", "missed", "pending"]
    assert t.status == "active"
    t = track(
        instalments=plan, payments=paid_first, started_on=start, as_of=date(2026, 6, 4), rules=rules
    )
    assert [r.status for r in t.instalments] == ["kept", "missed", "missed"]
    assert t.status == "broken"
    all_paid = [*paid_first, PaymentFact(date(2026, 5, 1), D("200.00"), "rest")]
    t = track(
        instalments=plan, payments=all_paid, started_on=start, as_of=date(2026, 5, 2), rules=rules
    )
    assert t.status == "completed"


def test_settlement_amount_and_discount_cap() -> None:
    rules = load_promise_policy().settlement
    assert settlement_amount(balance=D("1000.00"), discount=D("0.25"), rules=rules) == D("750.00")
    with pytest.raises(BadInput, match="between 0 and"):
        settlement_amount(balance=D("1000.00"), discount=D("0.9"), rules=rules)


def test_maker_checker_limits_by_role() -> None:
    rules = load_promise_policy().approval
    assert needs_checker(kind="plan", at_stake=D("20000.01"), rules=rules)
    assert not needs_checker(kind="plan", at_stake=D("20000.00"), rules=rules)
    assert needs_checker(kind="settlement", at_stake=D("0.01"), rules=rules)
    check_approver(
        at_stake=D("50000"), maker="ann", checker="lee", checker_role="team_lead", rules=rules
    )
    with pytest.raises(NotPermitted, match="maker"):
        check_approver(
            at_stake=D("1"), maker="lee", checker="lee", checker_role="team_lead", rules=rules
        )
    with pytest.raises(NotPermitted, match="cannot approve"):
        check_approver(
            at_stake=D("1"), maker="ann", checker="bob", checker_role="collector", rules=rules
        )
    with pytest.raises(NotPermitted, match="head of collections must approve"):
        check_approver(
            at_stake=D("200000.01"),
            maker="ann",
            checker="lee",
            checker_role="team_lead",
            rules=rules,
        )
    check_approver(  # the top of the chain has no limit
        at_stake=D("9999999.00"),
        maker="ann",
        checker="hc",
        checker_role="head_of_collections",
        rules=rules,
    )


@pytest.mark.parametrize(
    ("chain", "message"),
    [
        ([{"role": "team_lead", "up_to": "200000"}], "would have nobody to approve it"),
        ([], "names no role"),
        (
            [{"role": "team_lead", "up_to": None}, {"role": "head_of_collections", "up_to": None}],
            "only the top",
        ),
        (
            [
                {"role": "team_lead", "up_to": "200000"},
                {"role": "senior_specialist", "up_to": "100000"},
                {"role": "head_of_collections"},
            ],
            "must rise",
        ),
        ([{"role": "team_lead", "up_to": "10000"}, {"role": "admin"}], "plan_auto_approve_up_to"),
    ],
)
def test_an_approval_chain_without_a_top_approver_is_refused(
    tmp_path: Path, chain: list[dict[str, object]], message: str
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({"approval": {"chain": chain}}), encoding="utf-8")
    with pytest.raises(BadInput, match=message):
        load_promise_policy(str(path))


def test_the_shipped_chain_is_checked_against_the_role_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from arrears.auth import policy as roles
    from arrears.workbench import approval_chain

    rules = load_promise_policy().approval
    approval_chain.check(rules)  # every level exists, may approve and sees cases
    monkeypatch.setitem(
        roles.POLICY, "head_of_collections", roles.POLICY["head_of_collections"] - {"plan.approve"}
    )
    with pytest.raises(BadInput, match="head_of_collections lacks plan.approve"):
        approval_chain.check(rules)
    monkeypatch.setitem(roles.CASE_SCOPE, "head_of_collections", "none")
    monkeypatch.setitem(roles.POLICY, "head_of_collections", roles.POLICY["team_lead"])
    with pytest.raises(BadInput, match="sees no case"):
        approval_chain.check(rules)


def test_a_plan_is_approved_at_once_only_inside_every_bound_of_the_policy() -> None:
    rules = load_promise_policy().approval
    assert not needs_checker(kind="plan", at_stake=D("20000.00"), instalments=12, rules=rules)
    assert needs_checker(kind="plan", at_stake=D("100.00"), instalments=13, rules=rules)
    assert needs_checker(kind="plan", at_stake=D("100.00"), covers_owed=False, rules=rules)


def test_plan_options_depend_on_the_account() -> None:
    policy = load_promise_policy()
    kwargs: dict[str, Any] = {
        "offers": policy.offers,
        "plan_rules": policy.plan,
        "settlement_rules": policy.settlement,
    }
    small = plan_options(total_due=D("250.00"), amount_past_due=D("50.00"), dpd=20, **kwargs)
    assert [o.kind for o in small] == ["pay_now"]  # instalments would be under the minimum
    big = plan_options(total_due=D("6000.00"), amount_past_due=D("900.00"), dpd=120, **kwargs)
    assert [(o.kind, o.instalments) for o in big] == [
        ("pay_now", 1),
        ("instalments", 3),
        ("instalments", 6),
        ("instalments", 12),
        ("settlement", 1),
    ]
    assert big[-1].amount == D("4800.00")
