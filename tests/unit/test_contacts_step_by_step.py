"""Step by step (rule workflow.step_by_step): the debtor first, his contact persons only after
the debtor-only period, and then only for a call-back or his location."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from arrears.contacts.step_by_step import (
    CONTACT_PERSON_PURPOSE,
    STEP_BY_STEP,
    DebtorAttempt,
    StepByStepPolicy,
    contact_persons_unlock,
    gate,
    load_step_by_step_policy,
)
from arrears.kit.errors import BadInput

START = date(2026, 3, 2)


def _attempts(*days_outcomes: tuple[int, str]) -> list[DebtorAttempt]:
    return [DebtorAttempt(on=START + timedelta(days=d), outcome=o) for d, o in days_outcomes]


def test_shipped_policy_defaults_to_five_days_and_never_disclosure() -> None:
    policy = load_step_by_step_policy()
    assert policy.debtor_only_days == 5
    for purposes in policy.contact_persons.values():
        assert set(purposes) <= {"callback_request", "location_information"}


def test_disclosure_is_not_a_purpose_the_policy_accepts(tmp_path: object) -> None:
    with pytest.raises(ValueError, match="callback_request"):
        StepByStepPolicy.model_validate({"contact_persons": {"spouse": ["disclosure"]}})


def test_policy_errors_name_the_field(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path)) / "p.yaml"
    bad.write_text("debtor_only_days: -1\n")
    with pytest.raises(BadInput, match="debtor_only_days"):
        load_step_by_step_policy(str(bad))


@pytest.mark.parametrize(("day", "unlocked"), [(0, False), (4, False), (5, True), (9, True)])
def test_contact_persons_unlock_after_the_debtor_only_days(day: int, unlocked: bool) -> None:
    policy = StepByStepPolicy(debtor_only_days=5, min_debtor_attempts=3)
    attempts = _attempts((0, "no_answer"), (1, "busy"), (2, "voicemail"))
    result = contact_persons_unlock(
        policy=policy, work_started_on=START, debtor_attempts=attempts, today=START + timedelta(day)
    )
    assert result.unlocked is unlocked
    assert result.unlocks_on == START + timedelta(days=5)
    if not unlocked:
        assert "unlock on 2026-03-07" in result.reason


def test_too_few_debtor_attempts_keep_them_locked_and_say_how_many_more() -> None:
    policy = StepByStepPolicy(debtor_only_days=5, min_debtor_attempts=3)
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
    policy = StepByStepPolicy(debtor_only_days=5, min_debtor_attempts=1)
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
    policy = StepByStepPolicy(debtor_only_days=5, min_debtor_attempts=0)
    result = contact_persons_unlock(
        policy=policy,
        work_started_on=START,
        debtor_attempts=_attempts((5, "promise_to_pay")),
        today=START + timedelta(days=6),
    )
    assert not result.unlocked


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_gate_refuses_before_the_unlock_day_until_the_policy_hour() -> None:
    policy = StepByStepPolicy(debtor_only_days=5, min_debtor_attempts=0, contact_hour=9)
    unlock = contact_persons_unlock(
        policy=policy, work_started_on=START, debtor_attempts=[], today=START
    )
    refusal = gate(
        policy=policy, unlock=unlock, relation="parent", purpose="callback_request", zone=SHANGHAI
    )
    assert refusal is not None
    assert refusal.rule == STEP_BY_STEP
    # 09:00 in Shanghai on the unlock day, in UTC.
    assert refusal.next_allowed_at == datetime(2026, 3, 7, 1, 0, tzinfo=UTC)


def test_the_gate_refuses_a_purpose_the_relation_may_not_be_asked_for() -> None:
    policy = StepByStepPolicy(
        debtor_only_days=0, min_debtor_attempts=0, contact_persons={"friend": ["callback_request"]}
    )
    unlock = contact_persons_unlock(
        policy=policy, work_started_on=START, debtor_attempts=[], today=START
    )
    refusal = gate(
        policy=policy,
        unlock=unlock,
        relation="friend",
        purpose="location_information",
        zone=SHANGHAI,
    )
    assert refusal is not None
    assert refusal.rule == CONTACT_PERSON_PURPOSE
    assert "callback_request" in refusal.reason
    allowed = gate(
        policy=policy, unlock=unlock, relation="friend", purpose="callback_request", zone=SHANGHAI
    )
    assert allowed is None
