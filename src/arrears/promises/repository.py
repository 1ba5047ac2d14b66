"""Every query on promises, plans and instalments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.portfolio.models import Cardholder
from arrears.promises.models import PlanInstalment, Promise, RepaymentPlan


def promise(session: Session, promise_id: int) -> Promise | None:
    return session.get(Promise, promise_id)


def promises_of(session: Session, work_order_id: int) -> Sequence[Promise]:
    return session.scalars(
        select(Promise)
        .where(Promise.work_order_id == work_order_id)
        .order_by(Promise.due_on, Promise.id)
    ).all()


def plan(session: Session, plan_id: int) -> RepaymentPlan | None:
    return session.get(RepaymentPlan, plan_id)


def plans_of(session: Session, work_order_id: int) -> Sequence[RepaymentPlan]:
    return session.scalars(
        select(RepaymentPlan)
        .where(RepaymentPlan.work_order_id == work_order_id)
        .order_by(RepaymentPlan.id)
    ).all()


def instalments(session: Session, plan_id: int) -> Sequence[PlanInstalment]:
    return session.scalars(
        select(PlanInstalment).where(PlanInstalment.plan_id == plan_id).order_by(PlanInstalment.seq)
    ).all()


def pending_plans(
    session: Session, *, scope: ColumnElement[bool]
) -> Sequence[tuple[RepaymentPlan, str]]:
    """Plans and settlements waiting for a checker, on cases in the principal's scope."""
    rows = session.execute(
        select(RepaymentPlan, Cardholder.name)
        .join(WorkOrder, WorkOrder.id == RepaymentPlan.work_order_id)
        .join(Cardholder, Cardholder.id == WorkOrder.cardholder_id)
        .where(RepaymentPlan.status == "proposed", scope)
        .order_by(RepaymentPlan.id)
    )
    return [(r[0], r[1]) for r in rows]


def lock_work_order(session: Session, work_order_id: int) -> None:
    """Hold the case until the transaction ends, so decisions that read the case's live
    arrangements are taken one at a time per case.

    PostgreSQL: ``SELECT ... FOR UPDATE`` on the case row. SQLite has one writer, but pysqlite
    opens the transaction only at the first write, so a no-op ``UPDATE`` of the row takes the
    write lock now (as ``contacts.repository.lock_debtor`` does) and what is read after it is the
    latest."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(WorkOrder.id).where(WorkOrder.id == work_order_id).with_for_update())
    else:
        session.execute(
            update(WorkOrder)
            .where(WorkOrder.id == work_order_id)
            .values(id=WorkOrder.id)
            .execution_options(synchronize_session=False)
        )


def promises_taken_since(
    session: Session, *, actors: Sequence[str], since: datetime
) -> dict[str, int]:
    """Per actor: promises taken since ``since`` (the supervisor's team view; by the time taken,
    so "today" is the center's day, not the UTC date a promise is dated by)."""
    if not actors:
        return {}
    rows = session.execute(
        select(Promise.taken_by, func.count())
        .where(Promise.taken_by.in_(actors), Promise.created_at >= since)
        .group_by(Promise.taken_by)
    ).all()
    return {actor: int(n) for actor, n in rows}
