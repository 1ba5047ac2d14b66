"""Every rule of the engine, with the cases the regulation's text and interpretations describe."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from arrears.compliance.content import check_content
from arrears.compliance.profile import load_profile
from arrears.compliance.schemas import Debtor, Person
from arrears.compliance.zones import possible_zones, zones_for_number
from arrears.kit.errors import BadInput
from tests.unit.compliance_helpers import (
    CN,
    HOME,
    LDN,
    SH,
    UK,
    US,
    call,
    consent,
    ny,
    person,
    proposal,
    run,
    utc,
)

# A Reg F validation notice carries these (1006.34(c)); with them only the rule under test decides.
REG_F_LETTER = dict.fromkeys(US.content.required_fields["letter"], "given")

# --- Reg F §1006.14(b)(2)(i)(A): more than 7 calls in 7 consecutive days


def test_seventh_call_in_seven_days_is_allowed_and_the_eighth_is_blocked() -> None:
    six = [call(ny(d, 10)) for d in range(1, 7)]
    assert run(proposal(ny(7, 10)), history=six).allowed
    seven = [*six, call(ny(7, 10))]
    decision = run(proposal(ny(7, 15)), history=seven)
    assert not decision.allowed
    assert decision.rules == ["reg_f.call_cap"]
    # Day 8 drops the call of day 1 from the window; 08:00 New York is 12:00Z in April.
    assert utc(decision.next_allowed_at) == "2026-04-08T12:00:00Z"
    assert run(proposal(ny(8, 12)), history=seven).allowed


def test_window_slides_over_calendar_days_not_a_fixed_week() -> None:
    # Four calls on April 1, three on April 3: full on April 5; April 8 drops April 1.
    history = [call(ny(1, 9 + i)) for i in range(4)] + [call(ny(3, 9 + i)) for i in range(3)]
    blocked = run(proposal(ny(5, 10)), history=history)
    assert blocked.rules == ["reg_f.call_cap"]
    assert utc(blocked.next_allowed_at) == "2026-04-08T12:00:00Z"
    assert not run(proposal(ny(7, 20)), history=history).allowed
    assert run(proposal(ny(8, 9)), history=history).allowed


def test_calls_to_all_of_a_persons_numbers_count_together() -> None:
    history = [call(ny(d, 10), number=MOBILE_OR_HOME[d % 2]) for d in range(1, 8)]
    decision = run(proposal(ny(7, 18), number=HOME), history=history)
    assert decision.rules == ["reg_f.call_cap"]


MOBILE_OR_HOME = ("+12125550100", HOME)


def test_one_call_about_two_debts_counts_for_both() -> None:
    history = [call(ny(d, 10), debts=["A", "B"]) for d in range(1, 5)]
    history += [call(ny(d, 11), debts=["A"]) for d in range(4, 7)]
    assert run(proposal(ny(6, 15), debts=["B"]), history=history).allowed  # 4 about B
    about_a = run(proposal(ny(6, 15), debts=["A"]), history=history)  # 7 about A
    assert about_a.rules == ["reg_f.call_cap"]
    both = run(proposal(ny(6, 15), debts=["A", "B"]), history=history)
    assert both.rules == ["reg_f.call_cap"]
    assert "debt A" in both.reason
    assert "B" not in both.reason.split("about", 1)[1]


def test_a_conversation_about_two_debts_cools_down_both() -> None:
    history = [call(ny(6, 10), "conversation", debts=["A", "B"])]
    for debt in ("A", "B"):
        decision = run(proposal(ny(8, 10), debts=[debt]), history=history)
        assert decision.rules == ["reg_f.cooldown"]
    assert run(proposal(ny(8, 10), debts=["C"]), history=history).allowed


def test_cooldown_counts_the_conversation_day_as_day_one() -> None:
    history = [call(ny(6, 20), "conversation")]
    decision = run(proposal(ny(12, 20)), history=history)
    assert decision.rules == ["reg_f.cooldown"]
    assert utc(decision.next_allowed_at) == "2026-04-13T12:00:00Z"  # day 8 at 08:00 local
    assert run(proposal(ny(13, 8)), history=history).allowed


def test_a_consumer_initiated_conversation_also_cools_down() -> None:
    inbound = [call(ny(6, 14), "conversation", direction="inbound")]
    decision = run(proposal(ny(9, 10)), history=inbound)
    assert decision.rules == ["reg_f.cooldown"]
    assert utc(decision.next_allowed_at) == "2026-04-13T12:00:00Z"


def test_inbound_calls_are_not_placed_calls_and_do_not_count() -> None:
    inbound = [call(ny(d, 10), "dropped", direction="inbound") for d in range(1, 8)]
    assert run(proposal(ny(7, 15)), history=inbound).allowed


def test_calls_that_do_not_connect_are_not_counted() -> None:
    history = [call(ny(d, 10), "busy") for d in range(1, 8)]
    history += [call(ny(d, 11), "not_in_service") for d in range(1, 8)]
    history += [call(ny(d, 12), "no_answer") for d in range(1, 7)]
    assert run(proposal(ny(7, 15)), history=history).allowed


@pytest.mark.parametrize(
    "outcome", ["no_answer", "voicemail", "limited_content_message", "dropped"]
)
def test_connected_calls_that_reach_no_one_count(outcome: str) -> None:
    history = [call(ny(d, 10), outcome) for d in range(1, 8)]
    assert run(proposal(ny(7, 15)), history=history).rules == ["reg_f.call_cap"]


def test_a_limited_content_message_starts_no_cooldown() -> None:
    history = [call(ny(6, 10), "limited_content_message")]
    assert run(proposal(ny(7, 10)), history=history).allowed
    # while a conversation the same day does.
    talked = [call(ny(6, 10), "conversation")]
    assert not run(proposal(ny(7, 10)), history=talked).allowed


def test_third_party_answering_the_debtors_phone_counts_but_does_not_cool_down() -> None:
    history = [call(ny(6, 10), "third_party_conversation")]
    assert run(proposal(ny(7, 10)), history=history).allowed
    many = [call(ny(d, 10), "third_party_conversation") for d in range(1, 8)]
    assert run(proposal(ny(7, 15)), history=many).rules == ["reg_f.call_cap"]


def test_counts_are_per_collector() -> None:
    agency = [call(ny(d, 10), collector="agency-1") for d in range(1, 8)]
    assert run(proposal(ny(7, 15)), history=agency).allowed
    assert not run(proposal(ny(7, 15), collector="agency-1"), history=agency).allowed


def test_calls_to_the_consumers_attorney_are_not_counted() -> None:
    lawyer = person("L1", role="attorney")
    history = [call(ny(d, 10), pid="L1") for d in range(1, 8)]
    assert run(proposal(ny(7, 15), pid="L1"), history=history, who=lawyer).allowed


# --- consent, §1006.14(b)(3)


def test_prior_consent_lets_a_call_through_the_cooldown_once() -> None:
    talked = [call(ny(6, 10), "conversation")]
    given = consent(ny(6, 10, 5), ny(8, 15))
    assert run(proposal(ny(8, 15)), history=talked, consents=[given]).allowed
    assert run(proposal(ny(8, 15, 40)), history=talked, consents=[given]).allowed  # within slack
    assert not run(proposal(ny(8, 17)), history=talked, consents=[given]).allowed  # other time
    # The consented conversation happened: the consent has lapsed.
    used = [*talked, call(ny(8, 15), "conversation")]
    lapsed = run(proposal(ny(8, 15, 30)), history=used, consents=[given])
    assert lapsed.rules == ["reg_f.cooldown"]


def test_consent_older_than_seven_days_does_not_count() -> None:
    talked = [call(ny(9, 10), "conversation")]
    stale = consent(ny(1, 10), ny(10, 15))
    assert not run(proposal(ny(10, 15)), history=talked, consents=[stale]).allowed


def test_consented_calls_are_excluded_from_the_seven_call_count() -> None:
    history = [call(ny(d, 10)) for d in range(1, 7)] + [call(ny(7, 15))]
    given = consent(ny(5, 10), ny(7, 15))
    assert not run(proposal(ny(7, 18)), history=history).allowed
    assert run(proposal(ny(7, 18)), history=history, consents=[given]).allowed


def test_consent_for_a_late_hour_lifts_the_time_window_in_the_us_only() -> None:
    given = consent(ny(6, 10), ny(7, 22))
    assert not run(proposal(ny(7, 22))).allowed
    assert run(proposal(ny(7, 22)), consents=[given]).allowed


def test_the_pattern_review_flag_marks_two_calls_minutes_apart() -> None:
    history = [call(ny(6, 10))]
    decision = run(proposal(ny(6, 10, 3)), history=history)
    assert decision.allowed
    assert "reg_f.pattern_review" in decision.flags
    assert "reg_f.pattern_review" not in run(proposal(ny(6, 14)), history=history).flags


# --- time windows


def test_time_window_uses_every_possible_zone() -> None:
    # No zones given: a New York and a Los Angeles number. 08:00 in LA is 11:00 in New York.
    both = person(time_zones=None, phones=[{"number": "+12125550100"}, {"number": "+13105550100"}])
    early = run(proposal(ny(7, 9)), who=both)
    assert early.rules == ["time_window"]
    assert utc(early.next_allowed_at) == "2026-04-07T15:00:00Z"
    assert "zones.uncertain" in early.flags
    assert run(proposal(ny(7, 11)), who=both).allowed
    assert run(proposal(ny(7, 21)), who=both).allowed
    late = run(proposal(ny(7, 21, 30)), who=both)
    assert utc(late.next_allowed_at) == "2026-04-08T15:00:00Z"


def test_address_in_another_zone_than_the_area_code_narrows_the_window() -> None:
    moved = person(
        time_zones=None,
        phones=[{"number": "+12125550100"}],
        address={"country": "US", "region": "CA"},
    )
    assert not run(proposal(ny(7, 10)), who=moved).allowed
    assert run(proposal(ny(7, 12)), who=moved).allowed


def test_numbers_that_carry_no_location_are_ignored() -> None:
    assert zones_for_number("+18005550100") == ()
    assert zones_for_number("+447700900123") == ("Europe/London",)
    assert zones_for_number("+8613800138000") == ("Asia/Shanghai",)
    assert possible_zones(
        given=None, numbers=["+18005550100"], address=None, fallback=["Asia/Shanghai"]
    ) == ("Asia/Shanghai",)


def test_cn_card_hours_are_eight_to_nine_beijing_time() -> None:
    who = person("C1", time_zones=None, phones=[{"number": "+8613800138000"}])
    at = datetime(2026, 4, 7, 7, 59, tzinfo=SH)
    early = run(proposal(at, pid="C1", number="+8613800138000"), who=who, profile=CN)
    assert early.rules == ["time_window"]
    assert utc(early.next_allowed_at) == "2026-04-07T00:00:00Z"
    at9 = datetime(2026, 4, 7, 21, 0, tzinfo=SH)
    assert run(proposal(at9, pid="C1"), who=who, profile=CN).allowed
    late = run(proposal(at9 + timedelta(minutes=1), pid="C1"), who=who, profile=CN)
    assert utc(late.next_allowed_at) == "2026-04-08T00:00:00Z"


def test_cn_card_daily_cap_counts_every_dial_across_bank_and_agency() -> None:
    who = person("C1", time_zones=["Asia/Shanghai"], phones=[{"number": "+8613800138000"}])
    day = datetime(2026, 4, 7, 9, 0, tzinfo=SH)
    history = [
        call(day, "busy", pid="C1", number="+8613800138000"),
        call(day + timedelta(hours=1), "no_answer", pid="C1", collector="agency-1"),
        call(day + timedelta(hours=2), "conversation", pid="C1"),
    ]
    decision = run(
        proposal(day + timedelta(hours=5), pid="C1"), who=who, history=history, profile=CN
    )
    assert decision.rules == ["daily_cap"]
    assert utc(decision.next_allowed_at) == "2026-04-08T00:00:00Z"
    assert run(
        proposal(day + timedelta(hours=5), pid="C1"), who=who, history=history[:2], profile=CN
    ).allowed


def test_uk_sunday_has_shorter_hours() -> None:
    who = person("U1", time_zones=["Europe/London"], phones=[])
    sunday = datetime(2026, 4, 12, 9, 0, tzinfo=LDN)
    decision = run(proposal(sunday, pid="U1", number=None), who=who, profile=UK)
    assert decision.rules == ["time_window"]
    assert utc(decision.next_allowed_at) == "2026-04-12T09:00:00Z"  # 10:00 BST


# --- holds and flags


def test_cease_allows_only_the_three_final_notices_in_writing() -> None:
    who = person(flags=["cease"])
    assert run(proposal(ny(7, 10)), who=who).rules == ["hold.cease"]
    letter = proposal(ny(7, 10), channel="letter", fields=REG_F_LETTER)
    assert run(letter, who=who).rules == ["hold.cease"]
    for purpose in ("final_notice_ending", "final_notice_remedy_may", "final_notice_remedy_will"):
        assert run(proposal(ny(7, 10), channel="letter", purpose=purpose), who=who).allowed
    ending_by_call = proposal(ny(7, 10), purpose="final_notice_ending")
    assert not run(ending_by_call, who=who).allowed


def test_attorney_hold_routes_everything_to_the_attorney() -> None:
    who = person(flags=["attorney"])
    assert run(proposal(ny(7, 10)), who=who).rules == ["hold.attorney"]
    lawyer = person("L1", role="attorney", phones=[{"number": "+12125550123", "type": "work"}])
    to_lawyer = proposal(ny(7, 10), pid="L1", number="+12125550123")
    assert run(to_lawyer, who=lawyer, debtor=Debtor(id="P1", flags=["attorney"])).allowed
    # Third parties are off limits too once an attorney is known (15 U.S.C. 1692b(6)).
    friend = person("F1", role="third_party", relation="friend")
    ask = proposal(ny(7, 10), pid="F1", purpose="location")
    decision = run(ask, who=friend, debtor=Debtor(id="P1", flags=["attorney"]))
    assert decision.rules == ["hold.attorney"]


def test_dispute_hold_stops_collection_but_not_verification() -> None:
    who = person(flags=["dispute_hold"])
    assert run(proposal(ny(7, 10)), who=who).rules == ["hold.dispute"]
    verify = proposal(ny(7, 10), channel="letter", purpose="verification")
    assert run(verify, who=who).allowed


@pytest.mark.parametrize(
    ("flag", "rule"), [("bankruptcy", "hold.bankruptcy"), ("deceased", "hold.deceased")]
)
def test_bankruptcy_and_deceased_block_collection(flag: str, rule: str) -> None:
    letter = proposal(ny(7, 10), channel="letter", fields=REG_F_LETTER)
    decision = run(letter, who=person(flags=[flag]))
    assert decision.rules == [rule]
    assert decision.next_allowed_at is None


def test_employer_forbids_calls_at_work_only() -> None:
    who = person(
        flags=["employer_forbids_work_calls"],
        phones=[{"number": "+12125550100"}, {"number": "+12125550777", "type": "work"}],
    )
    assert run(proposal(ny(7, 10), number="+12125550777"), who=who).rules == ["employer_forbids"]
    assert run(proposal(ny(7, 10)), who=who).allowed
    assert not run(proposal(ny(7, 10), channel="visit", at_work=True), who=who).allowed


def test_medium_opt_out_blocks_that_medium_only() -> None:
    who = person(flags=["opt_out:sms"])
    sms = proposal(ny(7, 10), channel="sms", fields={"opt_out": "Reply STOP to opt out"})
    assert run(sms, who=who).rules == ["opt_out.sms"]
    assert run(proposal(ny(7, 10)), who=who).allowed


# --- third parties


def test_us_third_party_once_for_location_only_and_never_about_the_debt() -> None:
    friend = person(
        "F1", role="third_party", relation="friend", phones=[{"number": "+12125550142"}]
    )
    ask = proposal(ny(7, 10), pid="F1", number="+12125550142", purpose="location", debts=[])
    assert run(ask, who=friend).allowed
    earlier = [
        call(
            ny(6, 10),
            "third_party_conversation",
            pid="F1",
            role="third_party",
            relation="friend",
            debts=[],
        )
    ]
    second = run(ask, who=friend, history=earlier)
    assert second.rules == ["third_party.once"]
    assert second.next_allowed_at is None
    asked = ask.model_copy(update={"third_party_exception": "asked_to"})
    assert run(asked, who=friend, history=earlier).allowed
    not_reached = [call(ny(6, 10), "no_answer", pid="F1", role="third_party", relation="friend")]
    assert run(ask, who=friend, history=not_reached).allowed
    collect = ask.model_copy(update={"purpose": "collection"})
    assert run(collect, who=friend).rules == ["third_party.purpose"]
    told = ask.model_copy(update={"content": "Please ask John to call us about his overdue debt."})
    decision = run(told, who=friend)
    assert decision.rules == ["third_party.disclosure"]
    assert {f.phrase.lower() for f in decision.findings} == {"overdue", "debt"}


def test_cn_card_contact_person_may_only_pass_on_a_call_back_request() -> None:
    parent = person(
        "M1", role="third_party", relation="parent", time_zones=["Asia/Shanghai"], phones=[]
    )
    at = datetime(2026, 4, 7, 10, 0, tzinfo=SH)
    ok = proposal(
        at,
        pid="M1",
        number=None,
        purpose="call_back_request",
        content="请转告张先生给招商银行回个电话，谢谢。",
    )
    assert run(ok, who=parent, profile=CN).allowed
    tell = ok.model_copy(update={"content": "你儿子信用卡逾期了，欠款三万，请你督促他还款。"})
    decision = run(tell, who=parent, profile=CN)
    assert decision.rules == ["third_party.disclosure"]
    assert {"逾期", "欠款", "还款", "信用卡"} <= {f.phrase for f in decision.findings}
    press = ok.model_copy(update={"purpose": "collection", "content": None})
    assert run(press, who=parent, profile=CN).rules == ["third_party.purpose"]


def test_cn_card_spouse_is_a_third_party_but_a_guarantor_is_not() -> None:
    at = datetime(2026, 4, 7, 10, 0, tzinfo=SH)
    spouse = person("S1", role="spouse", time_zones=["Asia/Shanghai"])
    assert run(proposal(at, pid="S1"), who=spouse, profile=CN).rules == ["third_party.purpose"]
    guarantor = person("G1", role="guarantor", time_zones=["Asia/Shanghai"])
    assert run(proposal(at, pid="G1"), who=guarantor, profile=CN).allowed
    # Under Reg F the spouse is a "consumer" the debt may be discussed with.
    assert run(proposal(ny(7, 10), pid="S1"), who=person("S1", role="spouse")).allowed


# --- uk-conc vulnerable


def test_uk_vulnerable_customer_gets_pressure_free_treatment() -> None:
    who = person("U1", time_zones=["Europe/London"], flags=["vulnerable"], phones=[])
    at = datetime(2026, 4, 7, 11, 0, tzinfo=LDN)
    text = "You must pay in full today or borrow from family."
    pressed = run(proposal(at, pid="U1", number=None, content=text), who=who, profile=UK)
    assert pressed.rules == ["vulnerable.pressure"]
    assert {"pay in full", "borrow"} <= {f.phrase.lower() for f in pressed.findings}
    calm = "We can agree a plan you can afford. Free debt advice: StepChange."
    assert run(
        proposal(at, pid="U1", number=None, content=text),
        who=person("U1", time_zones=["Europe/London"], phones=[]),
        profile=UK,
    ).allowed
    assert run(proposal(at, pid="U1", number=None, content=calm), who=who, profile=UK).allowed
    assert run(proposal(at, pid="U1", channel="visit"), who=who, profile=UK).rules == [
        "vulnerable.channel"
    ]
    once = [call(at - timedelta(hours=2), "no_answer", pid="U1", number="+447700900123")]
    capped = run(proposal(at, pid="U1", number=None), who=who, history=once, profile=UK)
    assert capped.rules == ["vulnerable.daily_cap"]
    assert utc(capped.next_allowed_at) == "2026-04-08T07:00:00Z"  # 08:00 BST next day


# --- content


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Pay now or we will tell your employer.", "third_party_threat"),
        ("You could be ARRESTED for this.", "arrest"),
        ("再不还钱就让你坐牢", "arrest"),
        ("我们会把你的情况发到你通讯录里的每个人", "shaming"),
        ("你这个老赖", "insult"),
        ("A warrant has been issued.", "arrest"),
        ("We'll notify your boss and your family.", "third_party_threat"),
        ("我们会通知你的老板和家人", "third_party_threat"),
        ("我们会在你们小区让你丢人", "shaming"),
    ],
)
def test_prohibited_content_in_english_and_chinese(text: str, category: str) -> None:
    findings = check_content(
        text,
        profile=CN if any("\u4e00" <= c <= "\u9fff" for c in text) else load_profile("us-reg-f"),
        audience="debtor",
    )
    assert category in {f.category for f in findings}
    assert all(f.rule == f"content.{f.category}" for f in findings)


def test_words_match_on_word_edges_only() -> None:
    us = load_profile("us-reg-f")
    assert check_content("Our jailbreak-proof portal", profile=us) == []
    assert check_content("", profile=us) == []
    assert check_content("Your payment is late.", profile=us, audience="third_party")


def test_time_barred_debt_may_not_be_threatened_with_suit() -> None:
    who = person(flags=["time_barred"])
    letter = proposal(
        ny(7, 10),
        channel="letter",
        content="If you do not pay we will sue you.",
        fields=REG_F_LETTER,
    )
    assert run(letter, who=who).rules == ["time_barred.threat"]
    assert run(letter, who=person()).allowed


def test_required_letter_fields_cn_card() -> None:
    who = person("C1", time_zones=["Asia/Shanghai"])
    at = datetime(2026, 4, 7, 10, 0, tzinfo=SH)
    fields = {
        "name": "张三",
        "amount": "30000.00",
        "reason_legal_basis": "信用卡领用合约第十条",
        "rights_obligations": "...",
        "dispute_channel": "95555",
        "bank_contact": "95555",
        "seal": "招商银行信用卡中心",
    }
    assert run(proposal(at, pid="C1", channel="letter", fields=fields), who=who, profile=CN).allowed
    unsealed = {k: v for k, v in fields.items() if k != "seal"}
    decision = run(proposal(at, pid="C1", channel="letter", fields=unsealed), who=who, profile=CN)
    assert decision.rules == ["content.required_field"]
    assert "seal" in decision.reason


def test_us_electronic_messages_need_an_opt_out() -> None:
    decision = run(proposal(ny(7, 10), channel="email"))
    assert decision.rules == ["content.required_field"]
    assert run(proposal(ny(7, 10), channel="email", fields={"opt_out": "unsubscribe link"})).allowed


# --- several blocks at once


def test_every_blocking_rule_is_listed_and_next_allowed_satisfies_them_all() -> None:
    history = [call(ny(6, 20), "conversation")]
    who = person(flags=["opt_out:sms"])
    decision = run(proposal(ny(12, 22)), who=who, history=history)
    assert decision.rules == ["time_window", "reg_f.cooldown"]
    assert utc(decision.next_allowed_at) == "2026-04-13T12:00:00Z"
    mixed = run(
        proposal(ny(12, 22), channel="sms", fields={"opt_out": "STOP"}), who=who, history=history
    )
    assert mixed.rules == ["opt_out.sms", "time_window"]


def test_cap_then_window_iterates_until_both_clear() -> None:
    # The cap releases at local midnight of April 8, which the window pushes to 08:00.
    history = [call(ny(d, 10)) for d in range(1, 8)]
    decision = run(proposal(ny(7, 23)), history=history)
    assert decision.rules == ["time_window", "reg_f.call_cap"]
    assert utc(decision.next_allowed_at) == "2026-04-08T12:00:00Z"


# --- profiles


def test_a_bank_profile_extends_a_shipped_one(tmp_path: Path) -> None:
    # Massachusetts: at most 2 calls in 7 days per debt (940 CMR 7.04(1)(f)).
    path = tmp_path / "us-ma.yaml"
    path.write_text("name: us-ma\nextends: us-reg-f\nfrequency:\n  max_calls: 2\n")
    ma = load_profile(str(path))
    assert ma.frequency.max_calls == 2
    assert ma.frequency.cooldown_days == 7
    history = [call(ny(1, 10)), call(ny(2, 10))]
    assert run(proposal(ny(3, 10)), history=history, profile=ma).rules == ["reg_f.call_cap"]


def test_profile_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nextends: cn-card\ndaily_cap:\n  max_contact: 3\n")
    with pytest.raises(BadInput, match=r"daily_cap\.max_contact"):
        load_profile(str(path))
    hours = tmp_path / "hours.yaml"
    hours.write_text("name: h\ntime_window:\n  start: '21:00'\n  end: '08:00'\n")
    with pytest.raises(BadInput, match="time_window"):
        load_profile(str(hours))


def test_person_flags_are_a_closed_vocabulary() -> None:
    with pytest.raises(ValueError, match="unknown flag 'cease_and_desist'"):
        Person(id="P1", flags=["cease_and_desist"])


def test_the_person_record_decides_the_role_not_the_proposal() -> None:
    from arrears.compliance.engine import decide

    friend = person("F1", role="third_party", relation="friend")
    bare = proposal(ny(7, 10), pid="F1")  # role left at its default, "debtor"
    decision = decide(profile=US, person=friend, proposed=bare)
    assert decision.rules == ["third_party.purpose"]
    with pytest.raises(BadInput, match="proposed.person"):
        decide(profile=US, person=friend, proposed=proposal(ny(7, 10), pid="P9"))


def test_only_holds_carry_over_from_the_debtor_to_a_third_party_contact() -> None:
    friend = person("F1", role="third_party", relation="friend")
    ask = proposal(
        ny(7, 10), pid="F1", channel="sms", purpose="location", fields={"opt_out": "STOP"}
    )
    debtor = Debtor(id="P1", flags=["opt_out:sms", "vulnerable"])
    assert run(ask, who=friend, debtor=debtor).allowed
    ceased = Debtor(id="P1", flags=["cease"])
    assert run(ask, who=friend, debtor=ceased).rules == ["hold.cease"]


def test_profile_errors_give_the_line_and_refuse_circular_extends(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nextends: us-reg-f\nfrequency:\n  max_calls: 0\n")
    with pytest.raises(BadInput, match=r"\(line 4\): frequency\.max_calls"):
        load_profile(str(bad))
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(f"name: a\nextends: {b}\n")
    b.write_text(f"name: b\nextends: {a}\n")
    with pytest.raises(BadInput, match="circular"):
        load_profile(str(a))
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nholds: [\n")
    with pytest.raises(BadInput, match="not valid YAML"):
        load_profile(str(broken))
