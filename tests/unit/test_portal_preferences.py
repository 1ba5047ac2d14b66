"""The contact-preferences rules (``portal.preferences``) and how a withdrawn call-back window
reaches the compliance engine (``contacts.compliance_question.consent_until``): pure, on plain
values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.compliance.schemas import Consent
from arrears.contacts.compliance_question import consent_until
from arrears.portal.preferences import (
    channel_states,
    current_windows,
    opt_in_problem,
    withdraw_problem,
)
from tests.unit.compliance_helpers import ny, proposal, run

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
END = START + timedelta(hours=1)


@dataclass
class Row:
    channel: str
    preferred: bool = False
    opted_out_at: datetime | None = None


@dataclass
class Window:
    id: int
    cardholder_id: int = 1
    window_start: datetime = START
    window_end: datetime = END
    withdrawn_at: datetime | None = None


# --- consent_until -------------------------------------------------------------------------------


def test_a_withdrawal_cuts_the_window_from_then_not_backwards() -> None:
    assert consent_until(START, END, None) == END
    assert consent_until(START, END, START + timedelta(minutes=20)) == START + timedelta(minutes=20)
    assert consent_until(START, END, START) is None  # withdrawn before it opened: nothing
    assert consent_until(START, END, START - timedelta(days=1)) is None
    assert consent_until(START, END, END + timedelta(hours=1)) == END  # after it: the window


@given(st.integers(min_value=-180, max_value=180))
def test_a_consent_never_covers_a_time_after_its_window_or_its_withdrawal(minutes: int) -> None:
    withdrawn = START + timedelta(minutes=minutes)
    until = consent_until(START, END, withdrawn)
    assert (until is None) == (withdrawn <= START)
    if until is not None:
        assert START < until <= min(END, max(withdrawn, START))  # a valid engine window


def test_the_engine_honours_a_withdrawn_window_only_until_the_withdrawal() -> None:
    """Reg F: consent lifts the calling hours (1692c(a)); the window is 21:00-22:30 in New York,
    withdrawn at 21:45."""

    def consents(withdrawn_at: datetime | None) -> list[Consent]:
        until = consent_until(ny(6, 21), ny(6, 22, 30), withdrawn_at)
        if until is None:
            return []
        return [
            Consent(
                given_at=ny(6, 10),
                person="P1",
                debts=["A"],
                for_at=ny(6, 21),
                until=until,
                collector="bank",
            )
        ]

    assert run(proposal(ny(6, 22, 0)), consents=consents(None)).allowed
    # A call made before the withdrawal stays consented (a late entry of it is not a breach)...
    assert run(proposal(ny(6, 21, 30)), consents=consents(ny(6, 21, 45))).allowed
    # ...one after it is not: 22:00 is outside the hours again.
    assert not run(proposal(ny(6, 22, 0)), consents=consents(ny(6, 21, 45))).allowed
    # Withdrawn before the window opened: it covers nothing.
    assert not run(proposal(ny(6, 21, 30)), consents=consents(ny(6, 20))).allowed


# --- the page ------------------------------------------------------------------------------------


def test_each_channel_is_allowed_or_opted_out_since_the_customers_own_day() -> None:
    rows = [
        Row("sms", opted_out_at=datetime(2026, 11, 20, 17, 0, tzinfo=UTC)),  # 01:00 on the 21st
        Row("email", preferred=True),
        Row("call", preferred=True, opted_out_at=datetime(2026, 11, 1, tzinfo=UTC)),
    ]
    states = channel_states(rows, channels=("sms", "email", "call", "letter"), zone=SHANGHAI)
    assert [(s.channel, s.allowed, s.opted_out_on, s.preferred) for s in states] == [
        ("sms", False, date(2026, 11, 21), False),
        ("email", True, None, True),
        ("call", False, date(2026, 11, 1), False),  # a stopped channel is never preferred
        ("letter", True, None, False),  # no row: allowed
    ]


def test_current_windows_leave_out_the_withdrawn_and_the_ended_in_local_time() -> None:
    now = START - timedelta(hours=1)
    windows = current_windows(
        [
            Window(3, window_start=START + timedelta(days=1), window_end=END + timedelta(days=1)),
            Window(1),
            Window(2, withdrawn_at=now),
            Window(4, window_start=now - timedelta(hours=2), window_end=now),  # ended just now
        ],
        now=now,
        zone=SHANGHAI,
    )
    assert [(w.id, w.day, w.start, w.end, w.until) for w in windows] == [
        (1, date(2026, 11, 23), "18:00", "19:00", datetime(2026, 11, 23, 19, 0)),
        (3, date(2026, 11, 24), "18:00", "19:00", datetime(2026, 11, 24, 19, 0)),
    ]


# --- taking back ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "opted_out", "problem"),
    [
        ("sms", ["sms"], None),
        ("letter", ["letter"], None),
        ("sms", [], "not_opted_out"),
        ("fax", ["fax"], "unknown"),
        ("visit", ["visit"], "unknown"),
        (None, [], "unknown"),
        (["sms"], ["sms"], "unknown"),
    ],
)
def test_opting_back_in_needs_a_channel_offered_and_opted_out(
    channel: object, opted_out: list[str], problem: str | None
) -> None:
    offered = ("sms", "email", "call", "letter")
    assert opt_in_problem(channel, offered=offered, opted_out=opted_out) == problem


def test_a_window_is_withdrawn_only_by_its_customer_once_before_it_ends() -> None:
    now = START
    assert withdraw_problem(Window(1), cardholder_id=1, now=now) is None  # under way: may
    assert withdraw_problem(None, cardholder_id=1, now=now) == "missing"
    assert withdraw_problem(Window(1, cardholder_id=2), cardholder_id=1, now=now) == "missing"
    assert withdraw_problem(Window(1, withdrawn_at=now), cardholder_id=1, now=now) == "withdrawn"
    assert withdraw_problem(Window(1), cardholder_id=1, now=END) == "ended"  # at the instant
    # Another's withdrawn window still reads as missing (no clue it exists).
    assert withdraw_problem(
        Window(1, cardholder_id=2, withdrawn_at=now), cardholder_id=1, now=now
    ) == ("missing")
