"""The case as the collector sees it, assembled from the domains' data and rules.

Reads only (the case page's actions are the domains' own services and the workbench's flows).
The owed breakdown comes from ``arrears.delinquency.owed_breakdown``, per account, as of today.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy.orm import Session

from arrears.auth import service as auth_service
from arrears.auth.policy import Principal
from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.cases.schemas import BreakdownItemOut, FollowUpOut, ProfileOut, ThreeStopsOut
from arrears.cases.states import allowed_from
from arrears.channels import repository as channel_repository
from arrears.compliance.reasons import catalogue, localized, render
from arrears.contacts import repository as contact_repository
from arrears.contacts import service as contact_service
from arrears.contacts.schemas import ContactAttemptOut, UnlockOut
from arrears.kit.errors import BadInput, NotFound, NotPermitted
from arrears.portfolio import repository as portfolio_repository
from arrears.portfolio.models import CardAccount, Payment
from arrears.promises import repository as promise_repository
from arrears.promises import service as promise_service
from arrears.promises.schemas import PlanOut, PromiseOut
from arrears.workbench import messages
from arrears.workbench.schemas import (
    AccountOut,
    CaseView,
    ContactPersonOut,
    CustomerOut,
    PhoneOut,
    TimelineEntry,
    Unmasked,
    WorkOrderOut,
)
from arrears.workforce.scoping import visible_work_order


def case_view(*, session: Session, principal: Principal, work_order_id: int) -> CaseView:
    """The case view of a case in the principal's scope (else NotFound, as for a missing one)."""
    wo = visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return build_case_view(session=session, work_order=wo, locale=principal.locale)


def build_case_view(*, session: Session, work_order: WorkOrder, locale: str = "en") -> CaseView:
    """Everything the case page shows and the API answers for one case, read once."""
    wo = work_order
    holder = portfolio_repository.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {wo.id} has no customer")
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
    found_profile = case_repository.profile(session, wo.cardholder_id)
    return CaseView(
        work_order=WorkOrderOut.model_validate(
            {
                **{f: getattr(wo, f) for f in _WORK_ORDER_COLUMNS},
                "escalated_to": (wo.extra or {}).get("escalated_to"),
                "allowed_transitions": list(allowed_from(wo.status)),
            }
        ),
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
                for p in portfolio_repository.phones(session, holder.id)
            ],
            contact_persons=[
                ContactPersonOut(id=c.id, name=c.name, relation=c.relation, phone=c.phone)
                for c in portfolio_repository.contact_persons(session, holder.id)
            ],
        ),
        accounts=accounts,
        total_due=total_due,
        contact_persons_unlock=_unlock(session, wo, locale),
        three_stops=ThreeStopsOut.model_validate(
            case_service.stops_summary(session=session, work_order_id=wo.id)
        ),
        follow_ups=[
            FollowUpOut.model_validate(f, from_attributes=True)
            for f in case_repository.follow_ups(session, wo.id)
        ],
        profile=ProfileOut.model_validate(case_service.profile_dict(found_profile))
        if found_profile
        else None,
        promises=[
            PromiseOut.model_validate(promise_service.promise_dict(p))
            for p in promise_repository.promises_of(session, wo.id)
        ],
        plans=[
            PlanOut.model_validate(promise_service.plan_dict(session=session, plan=p))
            for p in promise_repository.plans_of(session, wo.id)
        ],
        contacts=[
            ContactAttemptOut.model_validate(contact_service.attempt_dict(a, locale=locale))
            for a in contact_repository.attempts(session, work_order_id=wo.id)
        ],
        timeline=_timeline(session, wo.id, ledger.payments, locale),
    )


# The header's columns, read straight from the work order.
_WORK_ORDER_COLUMNS = tuple(
    name
    for name in WorkOrderOut.model_fields
    if name not in ("escalated_to", "allowed_transitions")
)


def _unlock(session: Session, wo: WorkOrder, locale: str) -> UnlockOut:
    status = contact_service.unlock_status(session=session, work_order=wo)
    return UnlockOut(
        unlocked=status.unlocked,
        unlocks_on=status.unlocks_on,
        reason=render(status.why, locale),
        attempts_made=status.attempts_made,
        attempts_needed=status.attempts_needed,
        window_started_on=status.window_started_on,
        purposes={k: list(v) for k, v in status.purposes.items()},
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
    session: Session, work_order_id: int, payments: Sequence[Payment], locale: str = "en"
) -> list[TimelineEntry]:
    """Contacts, promises, level and status changes (from the audit trail) and payments."""
    entries = [
        TimelineEntry(
            at=e.at,
            kind=e.action.split(".", 1)[0] if "." in e.action else e.action,
            summary=_describe(e.action, e.before, e.after, e.reason),
            actor=e.actor,
            by_customer=e.actor.startswith(CUSTOMER_ACTOR),
        )
        for e in case_repository.work_order_audit(session, work_order_id)
    ]
    for attempt in contact_repository.attempts(session, work_order_id=work_order_id):
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
                        attempt.outcome
                        or localized(
                            (attempt.compliance_detail or {}).get("reasons"),
                            attempt.compliance_reason or "",
                            locale,
                        ),
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
                by_customer=promise.taken_by.startswith(CUSTOMER_ACTOR),
            )
        )
    entries.extend(
        TimelineEntry(at=_at(p.paid_on), kind="payment", summary=f"{p.amount:f} ({p.channel})")
        for p in payments
    )
    for message in channel_repository.messages(session, work_order_id=work_order_id):
        # The state and its reason in the reader's language (compliance/reasons.yaml).
        state = messages.state_text(message, locale)
        channel = catalogue().value("channel", message.channel, locale)
        # A letter's own reference (printed on it, quoted by the customer who calls about it).
        reference = (message.fields or {}).get("reference")
        what = f"{message.template} ({message.locale})" + (f" · {reference}" if reference else "")
        entries.append(
            TimelineEntry(
                at=message.created_at,
                kind="message",
                summary=f"{channel} · {what} · {state}",
                actor=message.queued_by,
            )
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


# The audit actor of the customer himself (the self-service portal).
CUSTOMER_ACTOR = "customer:"
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
    holder = portfolio_repository.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {work_order_id} has no customer")
    value: str | None
    if field == "id_number":
        value = holder.id_number
    elif field == "address":
        value = holder.address
    elif field == "phone":
        phone = next(
            (p for p in portfolio_repository.phones(session, holder.id) if p.id == item_id), None
        )
        if phone is None:
            raise NotFound(f"no phone {item_id} on this case")
        value = phone.number
    else:
        person = next(
            (
                c
                for c in portfolio_repository.contact_persons(session, holder.id)
                if c.id == item_id
            ),
            None,
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
