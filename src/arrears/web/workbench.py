"""The collector's views: queue and case, assembled from the domains' data and rules.

Reads only (the case page's actions are the domains' own services). The owed breakdown comes
from ``arrears.delinquency.owed_breakdown``, per account, as of the case's last cycle date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy.orm import Session

from arrears.auth import service as auth_service
from arrears.auth.policy import Principal
from arrears.auth.scoping import visible_work_order
from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import WorkOrderAccount
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, NotFound, NotPermitted
from arrears.portfolio.models import CardAccount, Payment
from arrears.promises import repository as promise_repository
from arrears.web import repository as repo
from arrears.web.schemas import (
    AccountOut,
    BreakdownItemOut,
    CaseView,
    ContactPersonOut,
    CustomerOut,
    PhoneOut,
    QueuePage,
    QueueRow,
    TimelineEntry,
    Unmasked,
    WorkOrderOut,
)

MAX_PAGE = 200


def queue_page(
    *,
    session: Session,
    principal: Principal,
    flt: repo.QueueFilter,
    limit: int = 50,
    offset: int = 0,
) -> QueuePage:
    if flt.view == "escalated" and not principal.can("case.escalated.read"):
        raise NotPermitted(f"your role ({principal.role}) may not case.escalated.read")
    limit = max(1, min(limit, MAX_PAGE))
    rows, total = repo.queue(session, principal, flt, limit=limit, offset=max(0, offset))
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
            )
            for wo, name in rows
        ],
        total=total,
        offset=offset,
        limit=limit,
    )


def next_case(*, session: Session, principal: Principal) -> int | None:
    return repo.next_case_id(session, principal, today=clock.today())


def case_view(*, session: Session, principal: Principal, work_order_id: int) -> CaseView:
    """Everything the case page shows, for a case in the principal's scope (else NotFound)."""
    wo = visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    holder = repo.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {work_order_id} has no customer")
    # The workflow's own breakdown (as of today), so the page and the script quote one figure.
    ledger = case_service.ledger(session=session, work_order_id=wo.id)
    owed_by_ref = {part.account_ref: part.breakdown for part in ledger.breakdowns}
    accounts: list[AccountOut] = []
    total_due = Decimal("0.00")
    for link, account in ledger.accounts:
        owed = owed_by_ref.get(link.account_ref)
        if account is None or owed is None or not owed.items:
            accounts.append(_account_without_history(link, account))
            continue
        total_due += owed.total_due
        accounts.append(
            AccountOut(
                id=account.id,
                account_ref=link.account_ref,
                product=account.product,
                currency=account.currency,
                credit_limit=account.credit_limit,
                status=account.status,
                bucket=owed.aging.bucket,
                dpd=owed.aging.dpd,
                amount_past_due=owed.aging.amount_past_due,
                as_of=owed.as_of,
                items=[
                    BreakdownItemOut(kind=i.kind, amount=i.amount, explanation=i.explanation)
                    for i in owed.items
                ],
                principal=owed.principal,
                interest=owed.interest,
                fees=owed.fees,
                payments=owed.payments,
                total_due=owed.total_due,
            )
        )
    return CaseView(
        work_order=WorkOrderOut.model_validate(wo, from_attributes=True),
        customer=CustomerOut(
            id=holder.id,
            external_ref=holder.external_ref,
            name=holder.name,
            id_number=holder.id_number,
            address=holder.address,
            province=holder.province,
            city=holder.city,
            identity_category=holder.identity_category,
            occupation=holder.occupation,
            employer=holder.employer,
            language=holder.language,
            time_zones=list(holder.time_zones or []),
            flags=list(holder.flags or []),
            phones=[
                PhoneOut(id=p.id, type=p.type, phone=p.number)
                for p in repo.phones_of(session, holder.id)
            ],
            contact_persons=[
                ContactPersonOut(id=c.id, name=c.name, relation=c.relation, phone=c.phone)
                for c in repo.contact_persons_of(session, holder.id)
            ],
        ),
        accounts=accounts,
        total_due=total_due,
        timeline=_timeline(session, wo.id, ledger.payments),
    )


def _account_without_history(link: WorkOrderAccount, acc: CardAccount | None) -> AccountOut:
    """An account the store has no statements for: show the cycle's own figures."""
    return AccountOut(
        id=acc.id if acc else None,
        account_ref=link.account_ref,
        product=acc.product if acc else None,
        currency=acc.currency if acc else "CNY",
        credit_limit=acc.credit_limit if acc else None,
        status=acc.status if acc else None,
        bucket=link.bucket,
        dpd=link.dpd,
        amount_past_due=link.amount_due,
        as_of=None,
        items=[],
        principal=None,
        interest=link.interest,
        fees=link.fees,
        payments=None,
        total_due=None,
    )


def _at(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _timeline(
    session: Session, work_order_id: int, payments: Sequence[Payment]
) -> list[TimelineEntry]:
    """Contacts, promises, level and status changes (from the audit trail) and payments."""
    entries = [
        TimelineEntry(
            at=e.at,
            kind=e.action.split(".", 1)[0] if "." in e.action else e.action,
            summary=_describe(e.action, e.before, e.after, e.reason),
            actor=e.actor,
        )
        for e in repo.work_order_audit(session, work_order_id)
    ]
    for attempt in case_repository.attempts(session, work_order_id=work_order_id):
        entries.append(
            TimelineEntry(
                at=attempt.at,
                kind="contact",
                summary=" · ".join(
                    str(x)
                    for x in (
                        attempt.channel,
                        attempt.party,
                        attempt.status,
                        attempt.outcome or attempt.compliance_reason or "",
                    )
                    if x
                ),
                actor=attempt.collector,
            )
        )
    for promise in promise_repository.promises_of(session, work_order_id):
        entries.append(
            TimelineEntry(
                at=promise.created_at,
                kind="promise",
                summary=(
                    f"{promise.amount:f} {promise.currency} → {promise.due_on} ({promise.status})"
                ),
                actor=promise.taken_by,
            )
        )
    entries.extend(
        TimelineEntry(at=_at(p.paid_on), kind="payment", summary=f"{p.amount:f} ({p.channel})")
        for p in payments
    )
    entries.sort(key=lambda t: t.at, reverse=True)
    return entries[:200]


def _describe(action: str, before: object, after: object, reason: str | None) -> str:
    parts = [action]
    if isinstance(before, dict) and isinstance(after, dict):
        changed = [f"{k}: {before.get(k)} → {after[k]}" for k in after if before.get(k) != after[k]]
        parts.extend(changed[:4])
    elif isinstance(after, dict):
        parts.extend(f"{k}: {v}" for k, v in list(after.items())[:4])
    if reason:
        parts.append(reason)
    return "; ".join(str(p) for p in parts)


UNMASKABLE = ("id_number", "address", "phone", "contact_phone")


def unmask(
    *, session: Session, principal: Principal, work_order_id: int, field: str, item_id: int | None
) -> Unmasked:
    """Reveal one masked field of the case's customer; audited (who, which field, when)."""
    if not principal.can("pii.unmask"):
        raise NotPermitted(f"your role ({principal.role}) may not pii.unmask")
    if field not in UNMASKABLE:
        raise BadInput(f"field: {field!r} is not one of {', '.join(UNMASKABLE)}")
    wo = visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    holder = repo.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {work_order_id} has no customer")
    value: str | None
    if field == "id_number":
        value = holder.id_number
    elif field == "address":
        value = holder.address
    elif field == "phone":
        phone = next((p for p in repo.phones_of(session, holder.id) if p.id == item_id), None)
        if phone is None:
            raise NotFound(f"no phone {item_id} on this case")
        value = phone.number
    else:
        person = next(
            (c for c in repo.contact_persons_of(session, holder.id) if c.id == item_id), None
        )
        if person is None:
            raise NotFound(f"no contact person {item_id} on this case")
        value = person.phone
    auth_service.audit_unmask(
        session=session,
        principal=principal,
        entity="cardholder",
        entity_id=holder.id,
        field=field if item_id is None else f"{field}:{item_id}",
    )
    return Unmasked(field=field, item_id=item_id, value=value)
