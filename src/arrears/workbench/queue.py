"""The collector's queue and the next case to work, within the caller's scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.orm import Session

from arrears.auth.policy import Principal
from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.contacts import repository as contact_repository
from arrears.kit.errors import NotPermitted
from arrears.workbench.schemas import QueuePage, QueueRow
from arrears.workforce.scoping import scoped_work_orders, work_order_filter

MAX_PAGE = 200


def queue_page(
    *,
    session: Session,
    principal: Principal,
    flt: case_repository.QueueFilter,
    limit: int = 50,
    offset: int = 0,
) -> QueuePage:
    if flt.view == "escalated" and not principal.can("case.escalated.read"):
        raise NotPermitted(f"your role ({principal.role}) may not case.escalated.read")
    limit = max(1, min(limit, MAX_PAGE))
    rows, total = case_repository.queue(
        session, scope=work_order_filter(principal), flt=flt, limit=limit, offset=max(0, offset)
    )
    contacted = contact_repository.last_made_at(session, [wo.id for wo, _ in rows])
    return QueuePage(
        rows=[
            QueueRow(
                id=wo.id,
                customer_name=name,
                customer_ref=wo.customer_ref,
                status=wo.status,
                bucket=wo.bucket,
                dpd=wo.dpd,
                amount_due=wo.amount_due,
                currency=wo.currency,
                level=wo.level,
                queue=wo.queue,
                priority=wo.priority,
                segment=wo.segment,
                next_action_on=wo.next_action_on,
                broken_promises=wo.broken_promises,
                customer_acted=customer_acted(wo, contacted.get(wo.id)),
            )
            for wo, name in rows
        ],
        total=total,
        offset=offset,
        limit=limit,
    )


def customer_acted(wo: WorkOrder, last_contact: datetime | None) -> bool:
    """The customer acted in the portal after the case's last contact (or none was made)."""
    acted = wo.customer_acted_at
    return acted is not None and (last_contact is None or acted > last_contact)


def next_case(
    *, session: Session, principal: Principal, queue: str | None = None
) -> WorkOrder | None:
    """The case to work next within the caller's scope: the one rule
    (``cases.service.next_case``) that the page's "next case", ``GET /workbench/next`` and
    ``POST /cases/next`` all use."""
    return case_service.next_case(session=session, base=_workable_by(principal), queue=queue)


def take_next(*, session: Session, principal: Principal, queue: str | None = None) -> WorkOrder:
    """``next_case``, moved to in_progress (NotFound when nothing is due)."""
    return case_service.take_next(
        session=session, actor=principal.actor, base=_workable_by(principal), queue=queue
    )


def _workable_by(principal: Principal) -> Select[WorkOrder]:
    """The caller's cases they may take next: an escalated case (stop 3 given) is a senior
    specialist's, so a collector is not sent back to that debtor."""
    base = scoped_work_orders(principal)
    if principal.can("case.escalated.read"):
        return base
    return base.where(WorkOrder.status != "escalated")
