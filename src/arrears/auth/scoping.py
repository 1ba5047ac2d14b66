"""Query scoping by role: the one place that says which work orders a principal may see.

Every repository that lists or loads work orders for a request applies ``work_order_filter``;
``visible_work_order`` loads one case or raises ``NotFound`` (never 403, so a URL does not
reveal that a case outside the caller's scope exists).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from arrears.auth.policy import Principal
from arrears.cases.models import WorkOrder
from arrears.kit.errors import NotFound


def work_order_filter(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause on ``WorkOrder`` limiting rows to the principal's case scope.

    Fails closed: a scope whose link (staff, agency, team) the user lacks sees nothing.
    """
    scope = principal.case_scope
    if scope == "all":
        return true()
    if scope == "none":
        return false()
    from arrears.auth import assignment_links

    return assignment_links.filter_for(principal, scope)


def scoped_work_orders(principal: Principal) -> Select[WorkOrder]:
    """``SELECT work_order`` already limited to what ``principal`` may see."""
    return select(WorkOrder).where(work_order_filter(principal))


def visible_work_order(*, session: Session, principal: Principal, work_order_id: int) -> WorkOrder:
    """The work order if the principal may see it; ``NotFound`` otherwise (same as missing)."""
    found = session.scalar(
        select(WorkOrder).where(WorkOrder.id == work_order_id, work_order_filter(principal))
    )
    if found is None:
        raise NotFound(f"no case {work_order_id}")
    # Callers often check visibility and then hand the id to a service that loads the case
    # again; the identity map holds instances weakly, so pin this one for the session's life
    # (a request) and that second load is a lookup, not another round trip.
    session.info.setdefault("visible_work_orders", []).append(found)
    return found
