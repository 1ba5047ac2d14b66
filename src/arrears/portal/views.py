"""What the verified customer sees: each delinquent account's owed breakdown, explained line by
line with the workbench's own figures and sentences, and the promise and plan history. Reads
only; every figure comes from ``cases.service.ledger`` (the collector's page quotes the same)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.delinquency.fees import charge_terms
from arrears.portal import repository as repo
from arrears.portal.schemas import Overview, OwedAccount, OwedLine, PlanLine, PromiseLine
from arrears.portfolio import repository as portfolio_repository
from arrears.promises import repository as promise_repository

CUSTOMER_PREFIX = "customer:"


def line_names(locale: str, terms: dict[str, str]) -> dict[str, str]:
    """The name of each breakdown line (the scripts' names: ``workbench.script``)."""
    zh = locale == "zh-CN"
    return {
        "principal": "账单余额" if zh else "Statement balance",
        "billed": "本期账单" if zh else "Billed this cycle",
        "interest": terms["interest_name"],
        "fee": terms["fee_name"],
        "accrual_stop": "停止计费" if zh else "Charges stopped",
        "payment": "已收还款" if zh else "Payment received",
        "credit": "退款或调整" if zh else "Credit",
    }


def mask_ref(ref: str) -> str:
    """An account shown by its last 4 characters, as on a card statement."""
    return "•••• " + ref[-4:] if len(ref) > 4 else ref


def overview(session: Session, *, cardholder_id: int, locale: str) -> Overview:
    """The customer's open cases' accounts, breakdowns and history; nobody else's."""
    lang = "zh-CN" if locale == "zh-CN" else "en"
    cases = repo.open_work_orders(session, cardholder_id)
    currency = cases[0].currency if cases else "CNY"
    terms = charge_terms(case_service.fee_schedule(), lang, currency)
    names = line_names(lang, terms)
    accounts: list[OwedAccount] = []
    total = Decimal("0.00")
    for wo in cases:
        ledger = case_service.ledger(session=session, work_order_id=wo.id)
        by_ref = {a.external_ref: a for _, a in ledger.accounts if a is not None}
        for part in ledger.breakdowns:
            owed = part.breakdown
            account = by_ref.get(part.account_ref)
            if not owed.items or account is None:
                continue
            total += owed.total_due
            accounts.append(
                OwedAccount(
                    account_id=account.id,
                    account_ref=mask_ref(part.account_ref),
                    product=account.product,
                    currency=owed.currency,
                    dpd=owed.aging.dpd,
                    amount_past_due=owed.aging.amount_past_due,
                    total_due=owed.total_due,
                    as_of=owed.as_of,
                    lines=[
                        OwedLine(
                            kind=item.kind,
                            name=names.get(item.kind, item.kind),
                            amount=item.amount,
                            explanation=item.explanation.get(lang) or item.explanation["en"],
                        )
                        for item in owed.items
                    ],
                )
            )
    promises: list[PromiseLine] = []
    plans: list[PlanLine] = []
    for wo in repo.work_orders(session, cardholder_id):
        promises.extend(
            PromiseLine(
                amount=p.amount,
                currency=p.currency,
                due_on=p.due_on,
                made_on=p.made_on,
                status=p.status,
                paid=p.paid,
                self_service=p.taken_by.startswith(CUSTOMER_PREFIX),
            )
            for p in promise_repository.promises_of(session, wo.id)
        )
        plans.extend(
            PlanLine(
                kind=p.kind,
                total=p.total,
                currency=p.currency,
                frequency=p.frequency,
                instalment_count=p.instalment_count,
                first_due_on=p.first_due_on,
                status=p.status,
            )
            for p in promise_repository.plans_of(session, wo.id)
        )
    promises.sort(key=lambda p: (p.made_on, p.due_on), reverse=True)
    plans.sort(key=lambda p: p.first_due_on, reverse=True)
    return Overview(
        accounts=accounts,
        total_due=total,
        currency=currency,
        terms=terms,
        promises=promises,
        plans=plans,
        work_order_ids=[wo.id for wo in cases],
    )


def greeting_name(session: Session, *, cardholder_id: int) -> str:
    """The customer's name, for the signed-in header only."""
    holder = portfolio_repository.cardholder(session, cardholder_id)
    return holder.name if holder is not None else ""
