"""Invariant 13, ``contacts_lawful``, on hand-made stores (SQLite and PostgreSQL): every contact
stored as made was allowed when made, counted again from the store. Each rule: a lawful history
holds, the one contact too many (too early, after the opt-out, on hold) is the violation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.channels.models import DebtorChannel
from arrears.compliance.models import ContactConsent
from arrears.contacts.models import ContactAttempt
from arrears.kit.audit import AuditEvent
from arrears.portfolio.models import Cardholder
from arrears.simulation import invariants as inv
from tests.integration.test_simulation_invariants import case

DAY = date(2026, 3, 2)  # a Monday
NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=zone).astimezone(UTC)


def made(
    s: Session,
    wo: Any,
    when: datetime,
    *,
    outcome: str = "no_answer",
    profile: str = "us-reg-f",
    collector: str = "bank",
    direction: str = "outbound",
    status: str = "made",
) -> ContactAttempt:
    row = ContactAttempt(
        work_order_id=wo.id,
        cardholder_id=wo.cardholder_id,
        at=when,
        collector="sim:O1",
        collector_ref=collector,
        channel="call",
        direction=direction,
        party="debtor",
        status=status,
        outcome=outcome if status == "made" else None,
        compliance_allowed=status == "made",
        compliance_rules=[],
        compliance_reason="",
        compliance_profile=profile,
        compliance_detail={},
        created_at=when,
    )
    s.add(row)
    s.flush()
    return row


def us_case(s: Session) -> Any:
    wo = case(s)
    holder = s.get(Cardholder, wo.cardholder_id)
    assert holder is not None
    holder.time_zones = ["America/New_York"]
    s.flush()
    return wo


def check(s: Session, zone: str = "America/New_York", jurisdiction: str = "us-reg-f") -> Any:
    found = inv.contacts_lawful(s, inv.DayFacts(day=DAY, time_zone=zone, jurisdiction=jurisdiction))
    return sorted((v.example["contact"], v.example["rule"]) for v in found), found


def test_reg_f_an_eighth_call_in_seven_days_is_a_violation(session: Session) -> None:
    wo = us_case(session)
    for back in range(6, -1, -1):  # one unanswered call a day, DAY-6 .. DAY: seven
        made(session, wo, at(DAY - timedelta(days=back), "10:00", NEW_YORK))
    assert check(session)[0] == []
    eighth = made(session, wo, at(DAY, "15:00", NEW_YORK))
    rules, found = check(session)
    assert rules == [(eighth.id, "reg_f.call_cap")]
    example = found[0].example
    assert example["calls_before"] == 7
    assert example["max_calls"] == 7
    assert example["case"] == wo.id
    assert example["at_local"].startswith("2026-03-02T15:00")
    assert found[0].key == f"contact {eighth.id} reg_f.call_cap"


def test_reg_f_counts_per_caller_and_ignores_blocked_and_old_calls(session: Session) -> None:
    wo = us_case(session)
    made(session, wo, at(DAY - timedelta(days=7), "10:00", NEW_YORK))  # outside the 7 days
    for back in range(5, -1, -1):
        made(session, wo, at(DAY - timedelta(days=back), "10:00", NEW_YORK))
    made(session, wo, at(DAY, "11:00", NEW_YORK), status="blocked")  # never happened
    made(session, wo, at(DAY, "12:00", NEW_YORK))  # the 7th in 7 days
    made(session, wo, at(DAY, "13:00", NEW_YORK), collector="agency:1")  # another caller
    assert check(session)[0] == []


def test_reg_f_no_call_within_seven_days_of_a_conversation(session: Session) -> None:
    wo = us_case(session)
    made(session, wo, at(DAY - timedelta(days=7), "10:00", NEW_YORK), outcome="refused")
    assert check(session)[0] == []  # nothing today
    ok = made(session, wo, at(DAY, "10:00", NEW_YORK))  # day 8 after the conversation
    assert check(session)[0] == []
    made(session, wo, at(DAY - timedelta(days=6), "10:00", NEW_YORK), outcome="promise_to_pay")
    rules, found = check(session)
    assert rules == [(ok.id, "reg_f.cooldown")]
    assert found[0].example["conversation_on"] == (DAY - timedelta(days=6)).isoformat()


def test_calls_outside_the_debtors_hours_are_violations(session: Session) -> None:
    wo = us_case(session)
    made(session, wo, at(DAY, "08:00", NEW_YORK))
    made(session, wo, at(DAY, "21:00", NEW_YORK))
    assert check(session)[0] == []
    early = made(session, wo, at(DAY, "07:59", NEW_YORK))
    late = made(session, wo, at(DAY, "21:01", NEW_YORK))
    inbound = made(session, wo, at(DAY, "23:00", NEW_YORK), direction="inbound")
    rules, found = check(session)
    assert rules == [(early.id, "time_window"), (late.id, "time_window")]
    assert inbound.id not in [c for c, _ in rules]  # the customer called: nothing to decide
    assert found[0].example["local"] == "07:59"
    assert found[0].example["hours"] == "08:00-21:00"


def test_a_call_inside_the_customers_own_window_is_lawful_where_consent_lifts_hours(
    session: Session,
) -> None:
    wo = us_case(session)
    late = made(session, wo, at(DAY, "21:30", NEW_YORK))
    assert check(session)[0] == [(late.id, "time_window")]
    session.add(
        ContactConsent(
            cardholder_id=wo.cardholder_id,
            work_order_id=wo.id,
            channel="call",
            window_start=at(DAY, "21:15", NEW_YORK),
            window_end=at(DAY, "21:45", NEW_YORK),
            given_at=at(DAY, "10:00", NEW_YORK),
            given_by="sim:O1",
            source="collector",
        )
    )
    session.flush()
    assert check(session)[0] == []


def test_cn_card_a_fourth_dial_a_day_and_an_early_call(session: Session) -> None:
    wo = case(session)  # time_zones empty: the profile's fallback, Asia/Shanghai
    for hhmm in ("09:00", "10:00", "11:00"):
        made(session, wo, at(DAY, hhmm, SHANGHAI), profile="cn-card", collector="bank")
    assert check(session, "Asia/Shanghai", "cn-card")[0] == []
    # Every caller counts (the bank answers for its agency): the noon dial is the fourth.
    fourth = made(session, wo, at(DAY, "12:00", SHANGHAI), profile="cn-card", collector="agency:1")
    other = case(session)
    early = made(session, other, at(DAY, "07:45", SHANGHAI), profile="cn-card")
    made(session, other, at(DAY - timedelta(days=1), "20:00", SHANGHAI), profile="cn-card")
    rules, found = check(session, "Asia/Shanghai", "cn-card")
    assert rules == [(fourth.id, "daily_cap"), (early.id, "time_window")]
    assert next(f for f in found if f.example["rule"] == "daily_cap").example["dials_before"] == 3


def test_no_call_after_the_customer_opted_out_of_calls(session: Session) -> None:
    wo = case(session)
    before = made(session, wo, at(DAY, "10:00", SHANGHAI), profile="cn-card")
    session.add(
        DebtorChannel(
            cardholder_id=wo.cardholder_id,
            channel="call",
            opted_out_at=before.at,  # asked on that call: the call itself was lawful
            opted_out_via="collector",
            updated_at=before.at,
        )
    )
    session.flush()
    assert check(session, "Asia/Shanghai", "cn-card")[0] == []
    after = made(session, wo, at(DAY, "15:00", SHANGHAI), profile="cn-card")
    assert check(session, "Asia/Shanghai", "cn-card")[0] == [(after.id, "opt_out.call")]


def _move(s: Session, wo: Any, when: datetime, status: str, hold_reason: str | None) -> None:
    s.add(
        AuditEvent(
            at=when,
            actor="sim:O1",
            action="work_order.transition",
            entity="work_order",
            entity_id=str(wo.id),
            before={"status": "in_progress"},
            after={"status": status, "hold_reason": hold_reason},
        )
    )
    s.flush()


def test_no_collection_call_while_the_case_is_held_for_a_dispute(session: Session) -> None:
    wo = case(session)
    dispute = made(session, wo, at(DAY, "10:00", SHANGHAI), profile="cn-card", outcome="dispute")
    _move(session, wo, dispute.at, "on_hold", "dispute")  # the same instant: the call held it
    assert check(session, "Asia/Shanghai", "cn-card")[0] == []
    again = made(session, wo, at(DAY, "11:00", SHANGHAI), profile="cn-card")
    _move(session, wo, at(DAY, "12:00", SHANGHAI), "in_progress", None)  # the check is done
    made(session, wo, at(DAY, "13:00", SHANGHAI), profile="cn-card")
    rules, found = check(session, "Asia/Shanghai", "cn-card")
    assert rules == [(again.id, "hold.dispute")]
    assert found[0].example["held_for"] == "dispute"
