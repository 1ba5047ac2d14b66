"""A demo customer for ``arrears demo``'s portal link: the first open case whose cardholder has
the facts the portal asks for on file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.portal import access
from arrears.portfolio.models import Cardholder
from arrears.vocabulary import OPEN_STATUSES


@dataclass(frozen=True)
class DemoCustomer:
    cardholder_id: int
    external_ref: str
    language: str
    birth_date: date
    id_last4: str


def demo_customer(session: Session) -> DemoCustomer | None:
    row = session.execute(
        select(Cardholder)
        .join(WorkOrder, WorkOrder.cardholder_id == Cardholder.id)
        .where(
            WorkOrder.status.in_(OPEN_STATUSES),
            Cardholder.birth_date.is_not(None),
            Cardholder.id_number.is_not(None),
        )
        .order_by(WorkOrder.priority.desc(), WorkOrder.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    holder = row[0]
    tail = access.id_tail(holder.id_number)
    if holder.birth_date is None or tail is None:
        return None
    return DemoCustomer(holder.id, holder.external_ref, holder.language, holder.birth_date, tail)
