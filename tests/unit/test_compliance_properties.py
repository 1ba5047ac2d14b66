"""Properties of the decision over hypothesis-generated histories, on all three profiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.compliance.engine import decide
from arrears.compliance.profile import Profile
from arrears.compliance.schemas import Attempt, Consent, Decision, Person, Proposed
from tests.unit.compliance_helpers import CN, UK, US

BASE = datetime(2026, 4, 13, 12, 0, tzinfo=UTC)
TEMPORAL = {"time_window", "reg_f.call_cap", "reg_f.cooldown", "daily_cap", "vulnerable.daily_cap"}
KNOWN = TEMPORAL | {
    "hold.attorney",
    "hold.cease",
    "hold.dispute",
    "hold.bankruptcy",
    "hold.deceased",
    "employer_forbids",
    "opt_out.sms",
    "opt_out.call",
    "opt_out.email",
    "opt_out.letter",
    "opt_out.visit",
    "third_party.purpose",
    "third_party.once",
    "third_party.disclosure",
    "content.required_field",
    "content.violence",
    "content.arrest",
    "content.third_party_threat",
    "content.shaming",
    "content.insult",
    "content.false_legal",
    "content.intimidation",
    "content.pressure",
    "vulnerable.pressure",
    "vulnerable.channel",
    "time_barred.threat",
}
OUTCOMES = [
    "not_in_service",
    "busy",
    "no_answer",
    "voicemail",
    "limited_content_message",
    "dropped",
    "conversation",
    "third_party_conversation",
]
ZONES = [
    ["America/New_York"],
    ["America/New_York", "America/Los_Angeles"],
    ["Asia/Shanghai"],
    ["Europe/London"],
    ["Asia/Shanghai", "America/New_York"],
]
CONTENT = [
    None,
    "Please call us back.",
    "Please pay in full today.",
    "We will tell your employer.",
    "你的信用卡逾期了，请还款。",
    "请回电。",
]
DEBTS = [["A"], ["B"], ["A", "B"], []]


@st.composite
def attempts(draw: st.DrawFn, person: str, before: datetime) -> Attempt:
    channel = draw(st.sampled_from(["call"] * 6 + ["sms", "letter", "visit"]))
    return Attempt.model_validate(
        {
            "at": before - timedelta(minutes=draw(st.integers(1, 8 * 24 * 60))),
            "channel": channel,
            "collector": draw(st.sampled_from(["bank", "bank", "bank", "agency"])),
            "person": person,
            "debts": draw(st.sampled_from(DEBTS)),
            "outcome": draw(st.sampled_from(OUTCOMES)) if channel == "call" else None,
            "direction": draw(st.sampled_from(["outbound", "outbound", "outbound", "inbound"])),
        }
    )


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    profile: Profile = draw(st.sampled_from([US, US, CN, UK]))
    third = draw(st.booleans()) and draw(st.booleans())
    pid = "F1" if third else "P1"
    person = Person.model_validate(
        {
            "id": pid,
            "role": "third_party" if third else draw(st.sampled_from(["debtor", "guarantor"])),
            "relation": "friend" if third else None,
            "time_zones": draw(st.sampled_from(ZONES)),
            "flags": draw(
                st.lists(
                    st.sampled_from(
                        ["vulnerable", "opt_out:sms", "cease", "dispute_hold", "time_barred"]
                    ),
                    max_size=2,
                    unique=True,
                )
            )
            if draw(st.integers(0, 3)) == 0
            else [],
        }
    )
    at = BASE + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
    channel = draw(st.sampled_from(["call", "call", "call", "sms", "email", "letter", "visit"]))
    proposed = Proposed.model_validate(
        {
            "at": at,
            "channel": channel,
            "collector": draw(st.sampled_from(["bank", "bank", "bank", "agency"])),
            "person": pid,
            "role": person.role,
            "relation": person.relation,
            "debts": draw(st.sampled_from(DEBTS[:3])),
            "purpose": draw(st.sampled_from(["collection", "location", "call_back_request"])),
            "content": draw(st.sampled_from(CONTENT)),
            "fields": draw(
                st.sampled_from([{}, {"opt_out": "STOP", "amount": "1", "debt_advice": "x"}])
            ),
        }
    )
    history = draw(st.lists(attempts(pid, at), max_size=40))
    if draw(st.booleans()):  # a burst of counted calls, so the cap and cool-down get exercised
        for minutes in draw(st.lists(st.integers(1, 7 * 24 * 60), min_size=6, max_size=9)):
            history.append(
                Attempt(
                    at=at - timedelta(minutes=minutes),
                    channel="call",
                    collector=proposed.collector,
                    person=pid,
                    role=person.role,
                    relation=person.relation,
                    debts=["A"],
                    outcome=draw(st.sampled_from(["no_answer", "voicemail", "conversation"])),
                )
            )
    extra = draw(st.lists(attempts(pid, at), min_size=1, max_size=10))
    consents = []
    if draw(st.booleans()):
        given_at = at - timedelta(hours=draw(st.integers(1, 10 * 24)))
        consents.append(
            Consent(
                given_at=given_at,
                person=pid,
                debts=draw(st.sampled_from(DEBTS)),
                for_at=at + timedelta(minutes=draw(st.integers(-120, 120))),
                collector=proposed.collector,
            )
        )
    return {
        "profile": profile,
        "person": person,
        "proposed": proposed,
        "history": history,
        "extra": extra,
        "consents": consents,
    }


def _decide(
    case: dict[str, Any], *, history: list[Attempt], now: datetime | None = None
) -> Decision:
    return decide(
        profile=case["profile"],
        person=case["person"],
        proposed=case["proposed"],
        history=history,
        consents=case["consents"],
        now=now,
    )


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(cases())
def test_every_block_names_a_rule_and_a_reason(case: dict[str, Any]) -> None:
    decision = _decide(case, history=case["history"])
    if decision.allowed:
        assert decision.rules == []
        assert decision.next_allowed_at is None
    else:
        assert decision.rules
        assert set(decision.rules) <= KNOWN
        assert decision.reason.strip()
        if decision.next_allowed_at is not None:
            assert set(decision.rules) & TEMPORAL


@SETTINGS
@given(cases())
def test_at_next_allowed_at_only_blocks_already_named_remain(case: dict[str, Any]) -> None:
    decision = _decide(case, history=case["history"])
    if decision.next_allowed_at is None:
        return
    assert decision.next_allowed_at > case["proposed"].at
    later = _decide(case, history=case["history"], now=decision.next_allowed_at)
    assert not set(later.rules) & TEMPORAL, later
    assert set(later.rules) <= set(decision.rules)
    if set(decision.rules) <= TEMPORAL:
        assert later.allowed


@SETTINGS
@given(cases())
def test_adding_history_never_turns_a_block_into_an_allow(case: dict[str, Any]) -> None:
    before = _decide(case, history=case["history"])
    after = _decide(case, history=case["history"] + case["extra"])
    if not before.allowed:
        assert not after.allowed, (before, after)
        assert set(before.rules) <= set(after.rules)


@SETTINGS
@given(cases())
def test_next_allowed_at_is_the_earliest_such_instant(case: dict[str, Any]) -> None:
    case = {**case, "consents": []}  # consent opens short gaps the search does not look for
    decision = _decide(case, history=case["history"])
    if decision.next_allowed_at is None:
        return
    just_before = decision.next_allowed_at - timedelta(minutes=1)
    if just_before <= case["proposed"].at:
        return
    earlier = _decide(case, history=case["history"], now=just_before)
    assert set(earlier.rules) & TEMPORAL
