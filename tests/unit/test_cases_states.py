from __future__ import annotations

import pytest

from arrears.cases import states
from arrears.cases.three_stops import check_stop, escalates, next_stop
from arrears.kit.errors import BadInput, IllegalTransition, RuleRefused

LEGAL = [(a, b) for a in states.STATES for b in states.allowed_from(a)]
ILLEGAL = [(a, b) for a in states.STATES for b in states.STATES if b not in states.TRANSITIONS[a]]


def _reasons(target: str) -> dict[str, str]:
    if target == "closed":
        return {"close_reason": "paid"}
    if target == "on_hold":
        return {"hold_reason": "dispute"}
    return {}


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_every_legal_transition_is_allowed(current: str, target: str) -> None:
    move = states.plan_move(current, target, **_reasons(target))
    assert move.status == target


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_transition_is_refused_with_the_allowed_list(
    current: str, target: str
) -> None:
    with pytest.raises(IllegalTransition) as info:
        states.plan_move(current, target, **_reasons(target))
    assert f"from {current} to {target}" in info.value.message
    assert info.value.status_code == 409


def test_closed_is_final_and_says_so() -> None:
    with pytest.raises(IllegalTransition, match="closed is final"):
        states.plan_move("closed", "open")


def test_the_playbook_path_is_legal() -> None:
    path = ["open", "assigned", "in_progress", "promised", "kept", "closed"]
    for a, b in zip(path, path[1:], strict=False):
        states.plan_move(a, b, **_reasons(b))


@pytest.mark.parametrize(
    ("target", "kwargs", "message"),
    [
        ("closed", {}, "close_reason"),
        ("closed", {"close_reason": "happy"}, "got 'happy'"),
        ("on_hold", {}, "hold_reason"),
        ("escalated", {"escalated_to": "the_boss"}, "escalated_to"),
        ("promised", {"close_reason": "paid"}, "only for moving to closed"),
        ("nowhere", {}, "unknown work order state"),
    ],
)
def test_reasons_are_checked(target: str, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(BadInput, match=message):
        states.plan_move("in_progress", target, **kwargs)


def test_escalation_defaults_to_senior_specialist() -> None:
    assert states.plan_move("broken", "escalated").escalated_to == "senior_specialist"
    move = states.plan_move("broken", "escalated", escalated_to="legal_review")
    assert move.escalated_to == "legal_review"


# --- the three stops ---------------------------------------------------------------------------


def test_stops_go_in_order() -> None:
    check_stop(given=[], stop=1)
    check_stop(given=[1], stop=2)
    check_stop(given=[1, 2], stop=3)
    assert next_stop([1, 2, 3]) is None
    assert escalates(3)
    assert not escalates(2)


@pytest.mark.parametrize(
    ("given", "stop", "message", "error"),
    [
        ([], 2, "stop 2 cannot be given before stop 1", RuleRefused),
        ([], 3, "before stop 1, 2", RuleRefused),
        ([1], 3, "before stop 2", RuleRefused),
        ([1], 1, "already given; the next stop is 2", RuleRefused),
        ([1, 2, 3], 1, "all three stops", RuleRefused),
        ([], 4, "1, 2 or 3", BadInput),
    ],
)
def test_stops_out_of_order_are_refused(
    given: list[int], stop: int, message: str, error: type[Exception]
) -> None:
    with pytest.raises(error, match=message):
        check_stop(given=given, stop=stop)
