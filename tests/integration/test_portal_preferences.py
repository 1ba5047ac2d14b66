"""The customer takes back what he agreed to (the portal's contact preferences), on a real
store, SQLite and PostgreSQL: opting back in ends the opt-out (its row kept, with when and by
whom) and the collector's call is allowed again; a withdrawn call-back window is no longer his
consent from that instant; another customer's window, an unknown channel, a second submit are
refused in one sentence with nothing written; each act is on the case's timeline, by him."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import FollowUp
from arrears.channels import service as channel_service
from arrears.channels.models import ChannelOptOut, DebtorChannel
from arrears.compliance.models import ContactConsent
from arrears.kit.clock import clock
from arrears.kit.errors import RuleRefused
from arrears.migrations import runner
from arrears.workbench import portal_actions as actions
from arrears.workbench import portal_preferences as prefs
from arrears.workbench import portal_said as said
from tests.integration import test_portal_actions as acts
from tests.integration.test_portal_actions import (
    MORNING,
    _call,
    me,
    on_timeline,
    refused,
    written,
)
from tests.web_seed import Seeded, seed

# The actions' fixtures: the web seed at the morning of 2026-11-21, and Reg F.
_morning, world, reg_f = acts._morning, acts.world, acts.reg_f


def test_opting_back_in_ends_the_opt_out_keeps_its_row_and_the_collector_may_call(
    world: tuple[Session, Seeded],
) -> None:
    session, seeded = world
    wo_id = seeded.work_orders[0]
    actions.opt_out(session=session, customer=me(seeded), channel="call")
    session.commit()
    assert _call(session, wo_id, MORNING).status == "blocked"
    shown = prefs.preferences(session=session, customer=me(seeded))
    assert [(c.channel, c.allowed) for c in shown.channels] == [
        ("sms", True),
        ("email", True),
        ("call", False),
        ("letter", True),
    ]
    later = MORNING + timedelta(hours=2)
    with clock.frozen(later):
        done = prefs.opt_back_in(session=session, customer=me(seeded), channel="call")
        session.commit()
    assert done.text(lambda s: s) == "You can receive phone calls from us again."
    row = session.scalars(sa.select(DebtorChannel).where(DebtorChannel.channel == "call")).one()
    assert row.opted_out_at is None
    history = session.scalars(sa.select(ChannelOptOut)).one()  # kept, ended
    assert (history.opted_out_at, history.opted_out_via, history.opted_out_by) == (
        MORNING,
        "portal",
        "customer:C0001",
    )
    assert (history.ended_at, history.ended_via, history.ended_by) == (
        later,
        "portal",
        "customer:C0001",
    )
    # The collector's contact flow reads it at once: the call is allowed again.
    assert _call(session, wo_id, later).status == "made"
    assert on_timeline(session, wo_id, "opt_in", "customer:C0001")
    # Opted out again: a second row; the first keeps its end.
    with clock.frozen(later + timedelta(hours=1)):
        actions.opt_out(session=session, customer=me(seeded), channel="call")
        session.commit()
    rows = session.scalars(sa.select(ChannelOptOut).order_by(ChannelOptOut.id)).all()
    assert [r.ended_at for r in rows] == [later, None]


def test_opting_back_in_refuses_what_is_not_his_to_take_back(
    world: tuple[Session, Seeded],
) -> None:
    session, seeded = world
    for channel in ("fax", "visit", ""):
        refused(
            session,
            said.InputRefused,
            said.CHANNEL_UNKNOWN,
            lambda channel=channel: prefs.opt_back_in(
                session=session, customer=me(seeded), channel=channel
            ),
        )
    refused(  # never stopped
        session,
        said.PolicyRefused,
        said.NOT_OPTED_OUT,
        lambda: prefs.opt_back_in(session=session, customer=me(seeded), channel="sms"),
        channel="text messages",
    )
    # Another customer's opt-out is not his: he has none on that channel.
    actions.opt_out(session=session, customer=me(seeded, 1), channel="sms")
    session.commit()
    refused(
        session,
        said.PolicyRefused,
        said.NOT_OPTED_OUT,
        lambda: prefs.opt_back_in(session=session, customer=me(seeded), channel="sms"),
        channel="text messages",
    )
    # Twice: the second is told, nothing written.
    actions.opt_out(session=session, customer=me(seeded), channel="sms")
    prefs.opt_back_in(session=session, customer=me(seeded), channel="sms")
    session.commit()
    refused(
        session,
        said.PolicyRefused,
        said.NOT_OPTED_OUT,
        lambda: prefs.opt_back_in(session=session, customer=me(seeded), channel="sms"),
        channel="text messages",
    )
    # The other customer is still opted out.
    assert channel_service.opted_out(session=session, cardholder_id=seeded.cardholders[1]) == [
        "sms"
    ]


def test_only_the_customer_himself_opts_back_in(world: tuple[Session, Seeded]) -> None:
    session, seeded = world
    actions.opt_out(session=session, customer=me(seeded), channel="email")
    session.commit()
    before = written(session)
    with pytest.raises(RuleRefused, match="only the customer"):
        channel_service.opt_in(
            session=session,
            cardholder_id=seeded.cardholders[0],
            channel="email",
            via="collector",
            actor="user:collector",
        )
    session.rollback()
    assert written(session) == before


def _window(session: Session, seeded: Seeded) -> ContactConsent:
    actions.ask_call_back(
        session=session,
        customer=me(seeded),
        case_id=seeded.work_orders[0],
        day="2026-11-23",
        start="22:00",
        end="23:30",
    )
    session.commit()
    return session.scalars(sa.select(ContactConsent)).one()


def test_a_withdrawn_window_is_no_longer_his_consent_from_that_instant(
    world: tuple[Session, Seeded], reg_f: None
) -> None:
    """Reg F: his window lifts the calling hours; 23:15 in Shanghai is outside them."""
    session, seeded = world
    wo_id = seeded.work_orders[0]
    consent = _window(session, seeded)
    late = datetime(2026, 11, 23, 15, 15, tzinfo=UTC)  # 23:15 in Shanghai, in the window
    assert _call(session, wo_id, late).status == "made"
    shown = prefs.preferences(session=session, customer=me(seeded))
    assert [(w.id, w.start, w.end) for w in shown.windows] == [(consent.id, "22:00", "23:30")]
    withdrawn_at = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)  # 22:30, the window under way
    with clock.frozen(withdrawn_at):
        done = prefs.withdraw_call_back(
            session=session, customer=me(seeded), consent_id=str(consent.id)
        )
        session.commit()
    assert done.params == {"date": "2026-11-23", "start": "22:00", "end": "23:30"}
    session.refresh(consent)
    assert (consent.withdrawn_at, consent.withdrawn_by) == (withdrawn_at, "customer:C0001")
    blocked = _call(session, wo_id, late)
    assert blocked.status == "blocked"
    assert "time_window" in (blocked.compliance_rules or [])
    # A call made before the withdrawal stays consented (entered now, it is no breach).
    assert _call(session, wo_id, withdrawn_at - timedelta(minutes=10)).status == "made"
    # Its call-back task is cancelled, kept; the act is on the timeline, by the customer.
    task = session.scalars(sa.select(FollowUp).where(FollowUp.kind == "call_back")).one()
    assert task.status == "cancelled"
    assert on_timeline(session, wo_id, "withdraw_call_back", "customer:C0001")
    with clock.frozen(withdrawn_at):
        assert prefs.preferences(session=session, customer=me(seeded)).windows == []


def test_a_window_not_his_withdrawn_or_past_is_refused_and_nothing_changes(
    world: tuple[Session, Seeded],
) -> None:
    session, seeded = world
    actions.ask_call_back(
        session=session,
        customer=me(seeded),
        case_id=seeded.work_orders[0],
        day="2026-11-23",
        start="18:00",
        end="19:00",
    )
    session.commit()
    consent = session.scalars(sa.select(ContactConsent)).one()
    for other in (str(consent.id), "abc", "", "99999999999999999999999", "-1"):
        refused(  # the other customer: his id reads as a missing one
            session,
            said.CaseNotFound,
            said.WINDOW_NOT_FOUND,
            lambda other=other: prefs.withdraw_call_back(
                session=session, customer=me(seeded, 1), consent_id=other
            ),
        )
    with clock.frozen(datetime(2026, 11, 23, 11, 0, tzinfo=UTC)):  # 19:00: it has ended
        refused(
            session,
            said.PolicyRefused,
            said.WINDOW_ENDED,
            lambda: prefs.withdraw_call_back(
                session=session, customer=me(seeded), consent_id=consent.id
            ),
        )
    prefs.withdraw_call_back(session=session, customer=me(seeded), consent_id=consent.id)
    session.commit()
    refused(  # twice: told, nothing written
        session,
        said.PolicyRefused,
        said.WINDOW_WITHDRAWN,
        lambda: prefs.withdraw_call_back(
            session=session, customer=me(seeded), consent_id=consent.id
        ),
    )


def test_the_migration_keeps_the_opt_outs_made_before_it_as_open_rows(
    db_url: str, engine: sa.engine.Engine
) -> None:
    """d001 on a store with an opt-out already on debtor_channel: it becomes an open row
    (by whom unknown), so the customer can take it back like any other."""
    runner.downgrade(db_url, "d001-1")
    assert "channel_opt_out" not in sa.inspect(engine).get_table_names()
    with Session(engine) as s:
        seeded = seed(s)
        s.commit()
        s.execute(
            sa.text(
                "INSERT INTO debtor_channel (cardholder_id, channel, preferred, opted_out_at, "
                "opted_out_via, updated_at) VALUES (:c, 'sms', false, :at, 'reply', :at)"
            ),
            {"c": seeded.cardholders[0], "at": MORNING},
        )
        s.commit()
    runner.upgrade(db_url)
    with Session(engine) as s:
        row = s.scalars(sa.select(ChannelOptOut)).one()
        assert (row.cardholder_id, row.channel, row.opted_out_at, row.opted_out_via) == (
            seeded.cardholders[0],
            "sms",
            MORNING,
            "reply",
        )
        assert (row.opted_out_by, row.ended_at) == (None, None)
        prefs.opt_back_in(session=s, customer=me(seeded), channel="sms")
        s.commit()
        s.refresh(row)
        assert (row.ended_at, row.ended_by) == (MORNING, "customer:C0001")
