"""The nightly promise stage on a real store (SQLite and PostgreSQL): a conflicting case is
skipped and the rest of the night stands, follow-ups are dated from the run's as-of date, and a
partial payment leaves a status that says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import FollowUp, WorkOrder
from arrears.kit.clock import clock
from arrears.promises import nightly
from arrears.promises import service as promise_service
from arrears.promises.models import Promise
from tests.integration.test_cases_workflow import MORNING, _pay, seed

# The night after a promise due 2026-03-06 closed (grace 3 days: 03-09).
NIGHT = datetime(2026, 3, 12, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen(MORNING):
        yield


def promised_case(session: Session, ref: str, amount: str = "1000.00") -> int:
    """A case in ``promised`` with one promise of ``amount`` due 2026-03-06."""
    wo_id = seed(session, ref=ref)
    case_service.transition(session=session, work_order_id=wo_id, to="in_progress", actor="a")
    promise_service.take_promise(
        session=session,
        work_order_id=wo_id,
        amount=amount,
        due_on=date(2026, 3, 6),
        channel="call",
        actor="u:lee",
    )
    session.commit()
    return wo_id


def promise_of(session: Session, wo_id: int) -> Promise:
    return session.scalars(sa.select(Promise).where(Promise.work_order_id == wo_id)).one()


def refuse_updates_of_promise(session: Session, promise_id: int) -> None:
    """A store trigger that refuses to update one promise row: a case the night cannot write
    (a lock timeout, a constraint, a concurrent edit the store rejects)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text(
                "CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
            )
        )
        session.execute(
            sa.text(
                "CREATE TRIGGER refuse_promise BEFORE UPDATE ON promise FOR EACH ROW "
                f"WHEN (OLD.id = {promise_id}) EXECUTE FUNCTION refuse_update()"
            )
        )
    else:
        session.execute(
            sa.text(
                "CREATE TRIGGER refuse_promise BEFORE UPDATE ON promise "
                f"WHEN OLD.id = {promise_id} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        )
    session.commit()


def test_a_conflicting_case_is_skipped_and_the_rest_of_the_night_stands(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    first = promised_case(session, "C1")
    second = promised_case(session, "C2")
    third = promised_case(session, "C3")
    for wo_id in (first, second, third):
        _pay(session, wo_id, date(2026, 3, 6), "100.00", f"P{wo_id}")
    session.commit()
    refuse_updates_of_promise(session, promise_of(session, second).id)
    with clock.frozen(NIGHT), caplog.at_level("WARNING", logger="arrears.promises.nightly"):
        counts = nightly.reconcile_all(session=session, actor="system:reconcile")
        session.commit()
    assert (counts["broken"], counts["skipped"]) == (2, 1)
    assert f"case {second} skipped" in caplog.text
    session.expire_all()
    for kept_going in (first, third):
        assert promise_of(session, kept_going).status == "broken"
        assert session.get(WorkOrder, kept_going).status == "broken"  # type: ignore[union-attr]
    # The case that could not be written is left as it was, for the next night.
    assert promise_of(session, second).status == "pending"
    assert session.get(WorkOrder, second).status == "promised"  # type: ignore[union-attr]
    assert session.scalars(sa.select(FollowUp.work_order_id)).all() == [first, third]


def test_a_case_saved_meanwhile_is_reconciled_on_its_fresh_state(session: Session) -> None:
    wo_id = promised_case(session, "C1")
    _pay(session, wo_id, date(2026, 3, 6), "100.00", "P1")
    session.commit()
    # The session holds the case as read; then someone else saves it (its version moves on).
    assert session.get(WorkOrder, wo_id) is not None
    session.execute(
        sa.update(WorkOrder)
        .where(WorkOrder.id == wo_id)
        .values(version=WorkOrder.version + 1)
        .execution_options(synchronize_session=False)
    )
    with clock.frozen(NIGHT):
        counts = nightly.reconcile_all(session=session, actor="system:reconcile")
        session.commit()
    assert (counts["broken"], counts["skipped"]) == (1, 0)
    session.expire_all()
    assert session.get(WorkOrder, wo_id).status == "broken"  # type: ignore[union-attr]


def test_follow_ups_are_dated_from_the_run_as_of_date_not_the_wall_clock(
    session: Session,
) -> None:
    wo_id = promised_case(session, "C1")
    _pay(session, wo_id, date(2026, 3, 6), "100.00", "P1")
    session.commit()
    # Run on the 12th for the night of the 10th (a back-dated run, e.g. after an outage).
    with clock.frozen(NIGHT):
        nightly.reconcile_all(session=session, actor="system:reconcile", as_of=date(2026, 3, 10))
        session.commit()
    task = session.scalars(sa.select(FollowUp)).one()
    assert task.due_on == date(2026, 3, 11)


def test_a_partial_payment_leaves_the_case_out_of_promised_and_never_kept(
    session: Session,
) -> None:
    wo_id = promised_case(session, "C1")
    _pay(session, wo_id, date(2026, 3, 6), "600.00", "P1")
    session.commit()
    with clock.frozen(NIGHT):
        counts = nightly.reconcile_all(session=session, actor="system:reconcile")
        session.commit()
    assert counts["partially_kept"] == 1
    promise = promise_of(session, wo_id)
    assert (promise.status, promise.paid) == ("partially_kept", promise.amount * 6 / 10)
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    # Not promised (nothing is pending), not kept (it was not paid in full): broken, by the
    # state machine; it does not count as a broken promise for the strategy.
    assert wo.status == "broken"
    assert wo.broken_promises == 0
    assert session.scalars(sa.select(FollowUp.kind)).all() == ["broken_promise"]


def test_a_partial_payment_with_another_promise_kept_is_not_kept(session: Session) -> None:
    wo_id = promised_case(session, "C1")
    # A second live promise, as books from before one-arrangement-per-case may hold.
    session.add(
        Promise(
            work_order_id=wo_id,
            amount=D("200.00"),
            currency="CNY",
            due_on=date(2026, 3, 8),
            made_on=date(2026, 3, 2),
            channel="call",
            status="pending",
            paid=D("0.00"),
            taken_by="u:lee",
            created_at=clock.now(),
            updated_at=clock.now(),
        )
    )
    session.commit()
    # 600 for the first (partial), then 200 for the second (kept in full).
    _pay(session, wo_id, date(2026, 3, 6), "600.00", "P1")
    _pay(session, wo_id, date(2026, 3, 10), "200.00", "P2")
    session.commit()
    with clock.frozen(NIGHT):
        nightly.reconcile_all(session=session, actor="system:reconcile")
        session.commit()
    statuses = session.scalars(sa.select(Promise.status).order_by(Promise.id)).all()
    assert statuses == ["partially_kept", "kept"]
    assert session.get(WorkOrder, wo_id).status == "broken"  # type: ignore[union-attr]
