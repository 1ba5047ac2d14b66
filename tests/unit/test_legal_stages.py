"""Legal stages (pure): every move not in the machine is refused, the holds each stage implies,
and which costs reach the balance."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.kit.errors import BadInput, IllegalTransition
from arrears.legal import stages
from arrears.legal.stages import Cost, check_move, cost_line, hold_for
from arrears.vocabulary import HOLD_REASONS

LEGAL = {
    ("pre_litigation_review", "filed"),
    ("pre_litigation_review", "closed"),
    ("filed", "hearing"),
    ("filed", "judgment"),
    ("filed", "closed"),
    ("hearing", "hearing"),
    ("hearing", "judgment"),
    ("hearing", "closed"),
    ("judgment", "enforcement"),
    ("judgment", "closed"),
    ("enforcement", "closed"),
}


@given(st.sampled_from(stages.STAGES), st.sampled_from(stages.STAGES))
def test_only_the_machine_s_moves_are_legal(current: str, target: str) -> None:
    if (current, target) in LEGAL:
        check_move(current, target)
    else:
        with pytest.raises(IllegalTransition, match=f"from {current} to {target}"):
            check_move(current, target)


def test_illegal_moves_say_what_is_allowed() -> None:
    with pytest.raises(IllegalTransition, match="may move to: filed, closed"):
        check_move("pre_litigation_review", "judgment")
    with pytest.raises(IllegalTransition, match="closed is final"):
        check_move("closed", "filed")
    with pytest.raises(BadInput, match="unknown legal stage"):
        check_move("filed", "appeal")


def test_the_work_order_is_held_from_filing_to_closing() -> None:
    assert [hold_for(s) for s in stages.STAGES] == [
        None,
        "litigation",
        "litigation",
        "litigation",
        "litigation",
        None,
    ]
    assert stages.HOLD_REASON in HOLD_REASONS  # the case state machine accepts it


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)


@given(
    st.lists(
        st.tuples(st.sampled_from(stages.COST_KINDS), amounts, st.sampled_from(stages.BEARERS))
    ),
    st.booleans(),
)
def test_only_the_customer_s_costs_and_only_where_the_profile_allows(
    rows: list[tuple[str, Decimal, str]], allows: bool
) -> None:
    line = cost_line([Cost(*r) for r in rows], profile_allows=allows, profile="p")
    customer = sum((a for _, a, who in rows if who == "customer"), Decimal("0.00"))
    assert line.amount == (customer if allows else Decimal("0.00"))
    assert set(line.explanation) == {"en", "zh-CN"}
