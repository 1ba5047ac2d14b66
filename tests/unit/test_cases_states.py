from __future__ import annotations

import pytest

from arrears.cases import states
from arrears.cases.escalation import (
    DebtorAttempt,
    EscalationPolicy,
    contact_persons_unlock,
    load_escalation_policy,
)
from arrears.cases.three_stops import check_stop, escalates, next_stop
from arrears.kit.errors import BadInput, IllegalTransition

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


# --- step-by-step escalation -------------------------------------------------------------------
from datetime import date, timedelta  # noqa: E402

START = date(2026, 3, 2)


def _attempts(*days_outcomes: tuple[int, str]) -> list[DebtorAttempt]:
    return [DebtorAttempt(on=START + timedelta(days=d), outcome=o) for d, o in days_outcomes]


def test_shipped_policy_defaults_to_five_days_and_never_disclosure() -> None:
    policy = load_escalation_policy()
    assert policy.debtor_only_days == 5
    for purposes in policy.contact_persons.values():
        assert set(purposes) <= {"callback_request", "location_information"}


def test_disclosure_is_not_a_purpose_the_policy_accepts(tmp_path: object) -> None:
    with pytest.raises(ValueError, match="callback_request"):
        EscalationPolicy.model_validate({"contact_persons": {"spouse": ["disclosure"]}})


def test_policy_errors_name_the_field(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path)) / "p.yaml"
    bad.write_text("debtor_only_days: -1\n")
    with pytest.raises(BadInput, match="debtor_only_days"):
        load_escalation_policy(str(bad))


@pytest.mark.parametrize(("day", "unlocked"), [(0, False), (4, False), (5, True), (9, True)])
def test_contact_persons_unlock_after_the_debtor_only_days(day: int, unlocked: bool) -> None:
    policy = EscalationPolicy(debtor_only_days=5, min_debtor_attempts=3)
    attempts = _attempts((0, "no_answer"), (1, "busy"), (2, "voicemail"))
    result = contact_persons_unlock(
        policy=policy, work_started_on=START, debtor_attempts=attempts, today=START + timedelta(day)
    )
    assert result.unlocked is unlocked
    assert result.unlocks_on == START + timedelta(days=5)
    if not unlocked:
        assert "unlock on 2026-03-07" in result.reason


def test_too_few_debtor_attempts_keep_them_locked_and_say_how_many_more() -> None:
    policy = EscalationPolicy(debtor_only_days=5, min_debtor_attempts=3)
    result = contact_persons_unlock(
        policy=policy,
        work_started_on=START,
        debtor_attempts=_attempts((0, "no_answer")),
        today=START + timedelta(days=10),
    )
    assert not result.unlocked
    assert result.unlocks_on is None
    assert "make 2 more" in result.reason


def test_a_right_party_contact_restarts_the_clock() -> None:
    policy = EscalationPolicy(debtor_only_days=5, min_debtor_attempts=1)
    attempts = _attempts((0, "no_answer"), (4, "right_party_contact"), (6, "no_answer"))
    result = contact_persons_unlock(
        policy=policy, work_started_on=START, debtor_attempts=attempts, today=START + timedelta(7)
    )
    assert not result.unlocked
    assert result.window_started_on == START + timedelta(days=4)
    assert result.unlocks_on == START + timedelta(days=9)
    assert "right-party contact or promise" in result.reason
    later = contact_persons_unlock(
        policy=policy, work_started_on=START, debtor_attempts=attempts, today=START + timedelta(9)
    )
    assert later.unlocked


def test_a_promise_restarts_the_clock_too() -> None:
    policy = EscalationPolicy(debtor_only_days=5, min_debtor_attempts=0)
    result = contact_persons_unlock(
        policy=policy,
        work_started_on=START,
        debtor_attempts=_attempts((5, "promise_to_pay")),
        today=START + timedelta(days=6),
    )
    assert not result.unlocked


# --- the three stops ---------------------------------------------------------------------------


def test_stops_go_in_order() -> None:
    check_stop(given=[], stop=1)
    check_stop(given=[1], stop=2)
    check_stop(given=[1, 2], stop=3)
    assert next_stop([1, 2, 3]) is None
    assert escalates(3)
    assert not escalates(2)


@pytest.mark.parametrize(
    ("given", "stop", "message"),
    [
        ([], 2, "stop 2 cannot be given before stop 1"),
        ([], 3, "before stop 1, 2"),
        ([1], 3, "before stop 2"),
        ([1], 1, "already given; the next stop is 2"),
        ([1, 2, 3], 1, "all three stops"),
        ([], 4, "1, 2 or 3"),
    ],
)
def test_stops_out_of_order_are_refused(given: list[int], stop: int, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        check_stop(given=given, stop=stop)
